import assert from 'node:assert/strict';
import { test } from 'node:test';
import { input, inst, testSpec } from '../testing/plan-fixtures.js';
import { plan } from './plan.js';
import type { Action, DestroyAction, ProvisionAction, RolloutState } from './types.js';

const provisions = (a: Action[]) => a.filter((x): x is ProvisionAction => x.type === 'provision');
const destroys = (a: Action[]) => a.filter((x): x is DestroyAction => x.type === 'destroy');
const t = 100_000;
const abc = testSpec({ logicalIds: ['a', 'b', 'c'] });
const member = (id: string, o: Parameters<typeof inst>[1] = {}) => inst(`i-${id}`, { logicalId: id, ...o });
const running: RolloutState = { fromConfig: 'old', toConfig: 'new', startedAt: t - 1, state: 'running' };

test('each missing logical ID is provisioned with its ID in the key', () => {
  const actions = plan(input(abc, [member('b')], t));
  assert.deepEqual(
    provisions(actions).map((p) => [p.logicalId, p.key]),
    [
      ['a', 'g:new:a:0'],
      ['c', 'g:new:c:0'],
    ],
  );
});

test('a healthy ensemble needs nothing', () => {
  assert.deepEqual(plan(input(abc, [member('a'), member('b'), member('c')], t)), []);
});

test('duplicates and unknown IDs are removed, keeping the best instance per ID', () => {
  const observed = [
    member('a'),
    inst('a-dup', { logicalId: 'a', health: 'unknown' }),
    member('b'),
    member('c'),
    inst('stray', { logicalId: 'z' }),
    inst('nameless', { slot: 0 }),
  ];
  assert.deepEqual(
    destroys(plan(input(abc, observed, t)))
      .map((d) => [d.instanceId, d.reason])
      .sort(),
    [
      ['a-dup', 'duplicate'],
      ['nameless', 'duplicate'],
      ['stray', 'duplicate'],
    ],
  );
});

test('an unhealthy member is replaced under the same logical ID', () => {
  const sick = member('b', { health: 'unhealthy', unhealthySince: 0 });
  const actions = plan(input(abc, [member('a'), sick, member('c')], t));
  assert.deepEqual(destroys(actions), [{ type: 'destroy', instanceId: 'i-b', reason: 'heal' }]);
  assert.deepEqual(
    provisions(actions).map((p) => [p.logicalId, p.key, p.replaces]),
    [['b', 'g:new:b:1', 'i-b']],
  );
});

test('a rollout with surge adds one new member, then retires its old twin once ready', () => {
  const olds = ['a', 'b', 'c'].map((id) => member(id, { config: 'old' }));
  const first = plan(input(abc, olds, t, { rollout: running }));
  assert.deepEqual(
    provisions(first).map((p) => p.logicalId),
    ['a'],
  );
  assert.deepEqual(destroys(first), []);
  const booting = member('a', { health: 'unknown', firstSeen: t - 1 });
  booting.id = 'i-a-new' as typeof booting.id;
  assert.deepEqual(plan(input(abc, [...olds, booting], t, { rollout: running })), [], 'one member at a time');
  const ready = { ...booting, health: 'healthy' as const, healthySince: t - 2_000 };
  const next = plan(input(abc, [...olds, ready], t, { rollout: running }));
  assert.deepEqual(
    destroys(next).map((d) => [d.instanceId, d.reason]),
    [['i-a', 'rollout']],
  );
  assert.deepEqual(provisions(next), [], 'the next member waits until this tick’s destroy is seen');
});

test('without surge a member is taken down only while all others are healthy', () => {
  const spec = testSpec({ logicalIds: ['a', 'b', 'c'], update: { maxSurge: 0, maxUnavailable: 1 } });
  const olds = ['a', 'b', 'c'].map((id) => member(id, { config: 'old' }));
  const actions = plan(input(spec, olds, t, { rollout: running }));
  assert.deepEqual(
    actions
      .filter((a) => a.type !== 'rollout-start')
      .map((a) => (a.type === 'destroy' ? a.instanceId : a.type)),
    ['i-a', 'provision'],
  );
  const degraded = [olds[0], member('b', { config: 'old', health: 'unknown' }), olds[2]].filter(
    (x) => x !== undefined,
  );
  const blocked = plan(input(spec, degraded, t, { rollout: running }));
  assert.deepEqual(
    destroys(blocked).map((d) => d.instanceId),
    ['i-b'],
    'the member already down is changed first; no healthy one is touched',
  );
});

test('a sick old-config member is replaced by the target config under its ID', () => {
  const sick = member('b', { config: 'old', health: 'unhealthy', unhealthySince: 0 });
  const actions = plan(input(abc, [member('a'), sick, member('c')], t, { rollout: running }));
  assert.deepEqual(destroys(actions), [{ type: 'destroy', instanceId: 'i-b', reason: 'heal' }]);
  assert.deepEqual(
    provisions(actions).map((p) => [p.logicalId, p.config, p.replaces]),
    [['b', 'new', 'i-b']],
  );
});

test('an old twin that is down leaves without waiting for its new member', () => {
  const oldB = member('b', { config: 'old', health: 'unhealthy', unhealthySince: 0 });
  const newB = inst('i-b-new', { logicalId: 'b', health: 'unknown', firstSeen: t - 1 });
  const actions = plan(input(abc, [member('a'), oldB, newB, member('c')], t, { rollout: running }));
  assert.deepEqual(destroys(actions), [{ type: 'destroy', instanceId: 'i-b', reason: 'rollout' }]);
  assert.deepEqual(provisions(actions), []);
});
