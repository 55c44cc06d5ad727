import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plan } from '../plan/plan.js';
import { input, inst, testSpec } from '../testing/plan-fixtures.js';

const t = 100_000;
const spec = testSpec({ size: 3 });
const limits = { breakerThreshold: 5, breakerCoolDownMs: 60_000, maxActionsPerTick: 1_000 };
const two = [inst('a', { slot: 0 }), inst('b', { slot: 1 }), inst('x', { slot: 9 }), inst('y', { slot: 8 })];

test('after the threshold the breaker opens and remediation stops', () => {
  const breaker = { status: 'closed' as const, consecutiveFailures: 5 };
  const actions = plan({ ...input(spec, [inst('a', { slot: 0 })], t, { breaker }), limits });
  assert.deepEqual(actions, [{ type: 'breaker-open', reason: '5 replacements failed in a row' }]);
});

test('an open breaker still lets scale-in through', () => {
  const breaker = { status: 'open' as const, consecutiveFailures: 5, openedAt: t - 1 };
  const small = testSpec({ size: 2 });
  const actions = plan({ ...input(small, [...two, inst('z', { slot: 7 })], t, { breaker }), limits });
  assert.ok(actions.every((a) => a.type === 'destroy' && a.reason === 'scale-in'));
  assert.equal(actions.length, 3);
});

test('after the cool-down exactly one trial replacement goes through', () => {
  const breaker = { status: 'open' as const, consecutiveFailures: 5, openedAt: t - 60_000 };
  const actions = plan({ ...input(spec, [], t, { breaker }), limits });
  assert.deepEqual(
    actions.map((a) => a.type),
    ['breaker-half-open', 'provision'],
  );
  const waiting = plan({
    ...input(spec, [], t, { breaker: { ...breaker, status: 'half-open', probeIssued: true } }),
    limits,
  });
  assert.deepEqual(waiting, [], 'the trial is out: wait for its verdict');
});

test('a trial heal carries the destroy that makes its room', () => {
  const breaker = { status: 'half-open' as const, consecutiveFailures: 5, probeIssued: false };
  const sick = inst('b', { slot: 1, health: 'unhealthy', unhealthySince: 0 });
  const actions = plan({
    ...input(spec, [inst('a', { slot: 0 }), sick, inst('c', { slot: 2 })], t, { breaker }),
    limits,
  });
  assert.deepEqual(
    actions.map((a) => a.type),
    ['destroy', 'provision'],
  );
});

test('the reason names the last failure; a rejected config gets no trial after the cool-down', () => {
  const failing = {
    status: 'closed' as const,
    consecutiveFailures: 5,
    lastFailure: 'provision failed: boom',
  };
  const [open] = plan({ ...input(spec, [], t, { breaker: failing }), limits });
  assert.deepEqual(open, {
    type: 'breaker-open',
    reason: '5 replacements failed in a row; last: provision failed: boom',
  });
  const rejected = { status: 'open' as const, consecutiveFailures: 1, openedAt: 0, rejectedConfig: 'new' };
  assert.deepEqual(plan({ ...input(spec, [], t + 3_600_000, { breaker: rejected }), limits }), []);
});

test('after a failed replacement the next waits for its retry time; scale-in does not', () => {
  const breaker = { status: 'closed' as const, consecutiveFailures: 2, retryAt: t + 1_000 };
  const small = testSpec({ size: 2 });
  const held = plan({ ...input(small, [...two, inst('z', { slot: 7 })], t, { breaker }), limits });
  assert.ok(held.length > 0 && held.every((a) => a.type === 'destroy' && a.reason === 'scale-in'));
  assert.deepEqual(plan({ ...input(spec, [], t + 999, { breaker }), limits }), [], 'nothing to fill yet');
  assert.equal(plan({ ...input(spec, [], t + 1_000, { breaker }), limits }).length, 3, 'then all of it');
});

test('a breaker opened by instances exiting soon after creation says so', () => {
  const exits = (early: number) => ({
    status: 'closed' as const,
    consecutiveFailures: 5,
    earlyExits: early,
    lastFailure: 'instance i-9 was gone 800 ms after creation',
  });
  assert.deepEqual(plan({ ...input(spec, [], t, { breaker: exits(5) }), limits })[0], {
    type: 'breaker-open',
    reason:
      'instances keep exiting soon after creation: 5 in a row; last: instance i-9 was gone 800 ms after creation',
  });
  assert.deepEqual(plan({ ...input(spec, [], t, { breaker: exits(2) }), limits })[0], {
    type: 'breaker-open',
    reason:
      '5 replacements failed in a row (2 exited soon after creation); last: instance i-9 was gone 800 ms after creation',
  });
});
