import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyPlan, initialPlannerState } from '../plan/state.js';
import type { BreakerState } from '../plan/types.js';
import { type BreakerVerdict, reduceBreaker, reduceBreakerAll } from './breaker.js';

const closed = initialPlannerState.breaker;
const run = (state: BreakerState, verdicts: BreakerVerdict[], now = 1) =>
  reduceBreakerAll(state, verdicts, now);

test('breaker: failures count, a failed trial re-opens, a proof closes', () => {
  let step = run(closed, [{ type: 'failed', reason: 'x' }]);
  assert.deepEqual(step, {
    state: { status: 'closed', consecutiveFailures: 1, lastFailure: 'x' },
    events: [],
  });
  const planned = applyPlan(
    { ...initialPlannerState, breaker: step.state },
    [{ type: 'breaker-open', reason: 'r' }],
    2,
  );
  assert.equal(planned.state.breaker.status, 'open');
  assert.deepEqual(planned.events, [
    { type: 'breaker-open', message: 'remediation stopped: r', data: { reason: 'r' } },
  ]);
  const open = planned.state.breaker;
  assert.deepEqual(
    reduceBreaker(open, { type: 'proved' }, 3),
    { state: open, events: [] },
    'only the trial may close it',
  );
  const trial = reduceBreaker(open, { type: 'trial' }, 3).state;
  step = run(trial, [{ type: 'failed', reason: 'again' }], 4);
  assert.equal(step.state.status, 'open');
  assert.equal(step.state.openedAt, 4);
  assert.deepEqual(step.events, [
    { type: 'breaker-open', message: 'trial replacement failed: again', data: { reason: 'again' } },
  ]);
  assert.deepEqual(reduceBreaker(trial, { type: 'proved' }, 4), {
    state: { status: 'closed', consecutiveFailures: 0 },
    events: [{ type: 'breaker-closed', message: 'a replacement proved healthy; remediation resumes' }],
  });
});

test('breaker: a trial is issued once it made an instance; a closed breaker ignores that', () => {
  const trial: BreakerState = { status: 'half-open', consecutiveFailures: 3, probeIssued: false };
  assert.equal(reduceBreaker(trial, { type: 'trial-issued' }, 1).state.probeIssued, true);
  assert.equal(reduceBreaker(closed, { type: 'trial-issued' }, 1).state, closed);
});

test('a rejected config keeps the breaker open until the target changes or the operator resumes', () => {
  const step = run(closed, [{ type: 'rejected', config: 'bad', reason: 'provision failed: no image' }], 5);
  const reason = 'provision failed: no image (not retried: fix the spec)';
  assert.deepEqual(step.state, {
    status: 'open',
    consecutiveFailures: 1,
    openedAt: 5,
    reason,
    lastFailure: 'provision failed: no image',
    rejectedConfig: 'bad',
  });
  assert.deepEqual(step.events, [
    { type: 'breaker-open', message: `remediation stopped: ${reason}`, data: { reason, config: 'bad' } },
  ]);
  assert.deepEqual(
    run(step.state, [{ type: 'rejected', config: 'bad', reason: 'again' }]).events,
    [],
    'said once',
  );
  const release = (targetConfig?: string) =>
    reduceBreaker(
      step.state,
      { type: 'released', why: 'w', ...(targetConfig === undefined ? {} : { targetConfig }) },
      6,
    );
  assert.equal(release('bad').state, step.state, 'same target: still stopped');
  assert.deepEqual(release('good'), {
    state: { status: 'closed', consecutiveFailures: 0 },
    events: [{ type: 'breaker-closed', message: 'w; provisioning resumes' }],
  });
  assert.deepEqual(release().state, { status: 'closed', consecutiveFailures: 0 });
  const open: BreakerState = { status: 'open', consecutiveFailures: 5 };
  assert.equal(reduceBreaker(open, { type: 'released', targetConfig: 'good', why: 'w' }, 6).state, open);
});

test('early exits are counted apart; retries are paced only while closed; a proof forgets both', () => {
  let breaker = run(closed, [
    { type: 'failed', reason: 'provision failed: x' },
    { type: 'failed', reason: 'instance i-1 was gone 5 ms after creation', earlyExit: true },
  ]).state;
  assert.equal(breaker.consecutiveFailures, 2);
  assert.equal(breaker.earlyExits, 1);
  breaker = reduceBreaker(breaker, { type: 'paced', retryAt: 702 }, 2).state;
  assert.equal(breaker.retryAt, 702);
  const open: BreakerState = { status: 'open', consecutiveFailures: 5, openedAt: 0 };
  assert.equal(reduceBreaker(open, { type: 'paced', retryAt: 702 }, 2).state, open);
  assert.deepEqual(reduceBreaker(breaker, { type: 'proved' }, 3).state, {
    status: 'closed',
    consecutiveFailures: 0,
  });
});
