// Crash loops: instances that exit by themselves soon after creation (an init that exits at once,
// a container that exits and is reaped). Every provision succeeds and the watch wakes the loop at
// once, so neither provision errors nor the loop's backoff can stop it: the breaker must.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kit } from '../testing/controller-test-kit.js';
import { testSpec } from '../testing/plan-fixtures.js';

type Kit = ReturnType<typeof kit>;

const created = (k: Kit) => k.events.filter((e) => e.type === 'created');
const opened = (k: Kit) => k.events.filter((e) => e.type === 'breaker-open');

async function run(k: Kit, ms: number, until: () => boolean = () => false) {
  for (let t = 0; t < ms && !until(); t += 1_000) await k.clock.advance(1_000);
}

/** A group of `size` whose instances look healthy (vanilla-style) while they exist. */
function started(size: number, breaker = { threshold: 5, coolDownMs: 60_000 }) {
  const k = kit(testSpec({ size }), { breaker });
  k.controller.start(new AbortController().signal);
  return k;
}

test('instances that keep exiting soon after creation open the breaker after `threshold` of them', async () => {
  const k = started(1);
  k.cloud.lifetimeMs = 2_500; // long enough to be seen healthy, far short of stable
  await run(k, 300_000, () => opened(k).length > 0);

  const status = k.controller.status();
  assert.equal(status.breaker.open, true);
  assert.equal(status.phase, 'breaker-open');
  assert.equal(created(k).length, 5, 'one instance per counted failure, no more');
  const last = created(k).at(-1)?.instanceId;
  assert.ok(last !== undefined);
  assert.match(status.breaker.reason ?? '', /instances keep exiting soon after creation/);
  assert.match(
    status.breaker.reason ?? '',
    new RegExp(`last: instance ${last} was gone 2500 ms after creation`),
  );
  assert.match(opened(k)[0]?.message ?? '', /instances keep exiting soon after creation/);

  // Open: nothing until the cool-down is over, then exactly one trial, which dies too.
  await run(k, 55_000);
  assert.equal(created(k).length, 5, 'no provision while the breaker is open');
  await run(k, 10_000);
  assert.equal(created(k).length, 6, 'the half-open trial');
  await run(k, 50_000);
  assert.equal(created(k).length, 6, 'the trial died: open again, no further attempts');
  assert.equal(k.controller.status().breaker.open, true);
  assert.match(opened(k).at(-1)?.message ?? '', /trial replacement failed: instance \S+ was gone/);
  await k.controller.stop();
});

test('before the breaker opens, replacements of exiting instances back off though events wake the loop', async () => {
  const k = started(1, { threshold: 1_000, coolDownMs: 60_000 });
  k.cloud.lifetimeMs = 500;
  await run(k, 600_000);
  const at = created(k).map((e) => e.at);
  const gaps = at.slice(1).map((t, i) => t - (at[i] ?? t));
  // With no pacing this is a create every half second: well over a thousand in ten minutes.
  assert.ok(at.length <= 60, `${at.length} instances created in ten minutes`);
  assert.ok(at.length >= 15, `still retrying at the capped pace: ${at.length}`);
  for (let i = 1; i < 6; i++) {
    assert.ok((gaps[i] ?? 0) >= (gaps[i - 1] ?? 0), `gaps grow: ${gaps.join(', ')}`);
  }
  // Capped: at most the 30 s cap, plus the instance's lifetime and one tick.
  assert.ok(Math.max(...gaps) <= 30_000 + 500 + 1_000, `gaps: ${gaps.join(', ')}`);
  assert.equal(k.controller.status().breaker.open, false);
  await k.controller.stop();
});

test('a group whose instances live normally is unaffected', async () => {
  const k = started(3);
  await run(k, 600_000);
  assert.equal(created(k).length, 3);
  const status = k.controller.status();
  assert.equal(status.phase, 'converged');
  assert.equal(status.breaker.consecutiveFailures, 0);
  assert.deepEqual(opened(k), []);
  await k.controller.stop();
});

test('a long-lived instance that dies is a normal heal; one that dies within grace counts', async () => {
  const k = started(2);
  await run(k, 300_000);
  const [veteran] = [...k.cloud.instances.keys()];
  assert.ok(veteran !== undefined);

  k.cloud.lifetimeMs = 5_000; // the replacement dies within its 10 s grace, healthy all along
  k.cloud.vanish(veteran);
  await k.clock.advance(0);
  assert.equal(created(k).length, 3, 'replaced at once');
  assert.equal(k.controller.status().breaker.consecutiveFailures, 0, 'the veteran’s death does not count');

  await k.clock.advance(5_000); // the replacement exits; the event wakes the loop
  assert.equal(k.controller.status().breaker.consecutiveFailures, 1, 'an early exit counts');
  assert.equal(created(k).length, 3, 'its replacement waits for the backoff, not for the event');
  k.cloud.lifetimeMs = undefined;
  await run(k, 2_000);
  assert.equal(created(k).length, 4, 'then it comes');

  await run(k, 30_000); // the new one stays up: proof that replacements work again
  assert.equal(k.controller.status().breaker.consecutiveFailures, 0);
  assert.equal(k.cloud.instances.size, 2);
  await k.controller.stop();
});

test('an instance that turns unhealthy before it was stable counts, though it was healthy at first', async () => {
  const k = started(1, { threshold: 5, coolDownMs: 60_000 });
  await run(k, 3_000);
  const [early] = [...k.cloud.instances.keys()];
  assert.ok(early !== undefined);
  k.flavor.health.set(early, 'unhealthy'); // healthy for two seconds, then sick
  await run(k, 20_000, () => !k.cloud.instances.has(early));
  assert.equal(k.cloud.instances.has(early), false, 'healed');
  assert.equal(k.controller.status().breaker.consecutiveFailures, 1);
  await k.controller.stop();
});
