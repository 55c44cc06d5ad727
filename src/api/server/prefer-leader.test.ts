import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preferLeader } from './prefer-leader.js';

// Waits too long for any test to sit through: a test that reached one would hit the runner's
// hang guard, so passing shows the answer did not wait for it.
const FOREVER = 3_600_000;

test("the leader's answer wins when it comes", async () => {
  let localStarted = false;
  const answer = await preferLeader({
    fromLeader: async () => 'leader',
    local: async () => {
      localStarted = true;
      return 'local';
    },
    waitMs: FOREVER,
    hedgeMs: FOREVER,
  });
  assert.equal(answer, 'leader');
  assert.equal(localStarted, false, 'no store read while the leader answers');
});

test('no leader to ask, or asking fails: the local answer starts at once, not after the hedge', async () => {
  for (const fromLeader of [async () => undefined, async () => Promise.reject(new Error('refused'))]) {
    const answer = await preferLeader({
      fromLeader,
      local: async () => 'local',
      waitMs: FOREVER,
      hedgeMs: FOREVER,
    });
    assert.equal(answer, 'local');
  }
});

test('a leader that never answers (frozen) is given up at the deadline, and told so', async () => {
  let aborted: unknown;
  const answer = await preferLeader({
    fromLeader: (signal) =>
      new Promise<string>((_, reject) => {
        signal.addEventListener('abort', () => {
          aborted = signal.reason;
          reject(signal.reason);
        });
      }),
    local: async () => 'local',
    waitMs: 0,
    hedgeMs: 0,
  });
  assert.equal(answer, 'local');
  assert.match(String(aborted), /did not answer within 0 ms/);
});

test('a local answer that fails while the leader answers is not an unhandled rejection', async () => {
  const answer = await preferLeader({
    fromLeader: () => new Promise<string>((resolve) => setTimeout(() => resolve('leader'), 5)),
    local: async () => Promise.reject(new Error('store paused')),
    waitMs: FOREVER,
    hedgeMs: 0,
  });
  assert.equal(answer, 'leader');
});
