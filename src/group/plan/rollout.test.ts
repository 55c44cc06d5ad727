import assert from 'node:assert/strict';
import { test } from 'node:test';
import { input, inst, testSpec } from '../testing/plan-fixtures.js';
import { plan } from './plan.js';
import type { Action, DestroyAction, ProvisionAction, RolloutState } from './types.js';

const provisions = (a: Action[]) => a.filter((x): x is ProvisionAction => x.type === 'provision');
const destroys = (a: Action[]) => a.filter((x): x is DestroyAction => x.type === 'destroy');
const t = 100_000;
const running: RolloutState = { fromConfig: 'old', toConfig: 'new', startedAt: t - 1_000, state: 'running' };
const olds = (n: number) => Array.from({ length: n }, (_, i) => inst(`o${i}`, { config: 'old', slot: i }));

test('old-config instances without a rollout start one', () => {
  const actions = plan(input(testSpec(), olds(3), t));
  assert.deepEqual(actions[0], { type: 'rollout-start', fromConfig: 'old', toConfig: 'new' });
});

test('maxSurge 1, maxUnavailable 0: surge one, then swap one old per ready new', () => {
  const spec = testSpec({ size: 3, update: { maxSurge: 1, maxUnavailable: 0 } });
  const first = plan(input(spec, olds(3), t, { rollout: running }));
  assert.deepEqual(destroys(first), [], 'nothing leaves before a new one is ready');
  assert.deepEqual(
    provisions(first).map((p) => [p.key, p.reason]),
    [['g:new:0:1', 'rollout']], // generations count per slot across configs
  );

  const booting = inst('n0', { slot: 0, health: 'healthy', healthySince: t - 1_999 });
  assert.deepEqual(plan(input(spec, [...olds(3), booting], t, { rollout: running })), [], 'not ready yet');

  const ready = inst('n0', { slot: 0, healthySince: t - 2_000 });
  const next = plan(input(spec, [...olds(3), ready], t, { rollout: running }));
  assert.deepEqual(
    destroys(next).map((d) => [d.instanceId, d.reason]),
    [['o0', 'rollout']],
  );
  assert.equal(provisions(next)[0]?.replaces, 'o0', 'at the surge cap, the next new waits for the destroy');
});

test('maxSurge 0, maxUnavailable 1: take one old down, then replace it', () => {
  const spec = testSpec({ size: 3, update: { maxSurge: 0, maxUnavailable: 1 } });
  const actions = plan(input(spec, olds(3), t, { rollout: running }));
  assert.equal(destroys(actions).length, 1);
  assert.equal(provisions(actions).length, 1);
  assert.equal(provisions(actions)[0]?.replaces, destroys(actions)[0]?.instanceId);
  const booting = inst('n0', { slot: 0, health: 'unknown', firstSeen: t - 10 });
  assert.deepEqual(plan(input(spec, [...olds(3).slice(1), booting], t, { rollout: running })), []);
});

test('capacity holds for a table of surge/unavailable settings', () => {
  for (const [surge, unavailable] of [
    [1, 0],
    [2, 0],
    [0, 1],
    [2, 2],
    [3, 1],
  ] as const) {
    const size = 5;
    const spec = testSpec({ size, update: { maxSurge: surge, maxUnavailable: unavailable } });
    const actions = plan(input(spec, olds(size), t, { rollout: running }));
    const live = size - destroys(actions).length + provisions(actions).length;
    assert.ok(live <= size + surge, `surge ${surge}/${unavailable}: live ${live}`);
    assert.ok(size - destroys(actions).length >= size - unavailable, `surge ${surge}/${unavailable}`);
  }
});

test('unhealthy old instances leave first', () => {
  const spec = testSpec({ size: 3, update: { maxSurge: 0, maxUnavailable: 1 } });
  const sick = inst('o2', { config: 'old', slot: 2, health: 'unhealthy', firstSeen: t - 1 });
  const actions = plan(input(spec, [...olds(2), sick], t, { rollout: running }));
  assert.deepEqual(
    destroys(actions).map((d) => d.instanceId),
    ['o2'],
  );
});

test('a rollout finishes when only ready current instances remain', () => {
  const spec = testSpec({ size: 2 });
  const observed = [inst('n0', { slot: 0 }), inst('n1', { slot: 1 })];
  assert.deepEqual(plan(input(spec, observed, t, { rollout: running })), [{ type: 'rollout-done' }]);
});

test('past the timeout the rollout fails; onFailure decides pause or rollback', () => {
  const late: RolloutState = { ...running, startedAt: t - 600_001 };
  const pause = plan(input(testSpec(), olds(3), t, { rollout: late }));
  assert.equal(pause.length, 1);
  assert.equal(pause[0]?.type === 'rollout-failed' && pause[0].onFailure, 'pause');

  const spec = testSpec({ update: { onFailure: 'rollback' } });
  const withPrevious: RolloutState = { ...late, previousSpec: testSpec({ image: 'app:0' }) };
  const rollback = plan(input(spec, olds(3), t, { rollout: withPrevious }));
  assert.equal(rollback[0]?.type === 'rollout-failed' && rollback[0].onFailure, 'rollback');

  const noPrevious = plan(input(spec, olds(3), t, { rollout: late }));
  assert.equal(
    noPrevious[0]?.type === 'rollout-failed' && noPrevious[0].onFailure,
    'pause',
    'nothing to roll back to',
  );

  const back: RolloutState = { ...withPrevious, state: 'rolling-back' };
  const twice = plan(input(spec, olds(3), t, { rollout: back }));
  assert.equal(
    twice[0]?.type === 'rollout-failed' && twice[0].onFailure,
    'pause',
    'a rollback is not rolled back',
  );
});

test('a new instance turning unhealthy fails the rollout', () => {
  const sick = inst('n0', { slot: 0, health: 'unhealthy', firstSeen: t - 20_000, unhealthySince: t - 5_000 });
  const started = { ...running, startedAt: t - 30_000 };
  const actions = plan(input(testSpec(), [...olds(3), sick], t, { rollout: started }));
  assert.equal(actions.length, 1);
  assert.equal(actions[0]?.type, 'rollout-failed');
  const resumed = plan(input(testSpec(), [...olds(3), sick], t, { rollout: running }));
  assert.deepEqual(
    resumed.filter((a) => a.type === 'destroy'),
    [{ type: 'destroy', instanceId: 'n0', reason: 'heal' }],
    'sick before this attempt began (a resume): healed, not a new failure',
  );
});

test('scale-in during a rollout removes old-config instances first', () => {
  const spec = testSpec({ size: 2, update: { maxSurge: 1, maxUnavailable: 0 } });
  const observed = [...olds(2), inst('n0', { slot: 0 }), inst('n1', { slot: 1 })];
  const actions = plan(input(spec, observed, t, { rollout: running }));
  assert.deepEqual(
    destroys(actions)
      .map((d) => d.instanceId)
      .sort(),
    ['o0', 'o1'],
  );
  assert.deepEqual(provisions(actions), []);
});
