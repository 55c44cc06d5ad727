import assert from 'node:assert/strict';
import { test } from 'node:test';
import { input, inst, testSpec } from '../testing/plan-fixtures.js';
import { plan } from './plan.js';
import type { Action, DestroyAction, ProvisionAction } from './types.js';

const provisions = (a: Action[]) => a.filter((x): x is ProvisionAction => x.type === 'provision');
const destroys = (a: Action[]) => a.filter((x): x is DestroyAction => x.type === 'destroy');
const spec = testSpec({ size: 3 });
const t = 100_000; // well past every grace period

test('an empty group provisions every slot with deterministic keys', () => {
  const actions = plan(input(spec, [], t));
  assert.deepEqual(
    provisions(actions).map((p) => [p.key, p.slot, p.reason]),
    [
      ['g:new:0:0', 0, 'missing'],
      ['g:new:1:0', 1, 'missing'],
      ['g:new:2:0', 2, 'missing'],
    ],
  );
  assert.deepEqual(plan(input(spec, [], t + 1)), actions, 'same need, same keys (lost responses retry)');
});

test('a converged group needs nothing', () => {
  const observed = [inst('a', { slot: 0 }), inst('b', { slot: 1 }), inst('c', { slot: 2 })];
  assert.deepEqual(plan(input(spec, observed, t)), []);
});

test('a missing slot is refilled with the next generation of that slot', () => {
  const observed = [inst('a', { slot: 0 }), inst('c', { slot: 2 })];
  const [p] = provisions(plan(input(spec, observed, t)));
  assert.equal(p?.key, 'g:new:1:0');
  const seen = plan(input(spec, observed, t, { generations: { '1': 0 } }));
  assert.equal(provisions(seen)[0]?.key, 'g:new:1:1', 'the vanished instance had generation 0');
});

test('an unhealthy instance is replaced only after unhealthyAfter, and never within grace', () => {
  const cases: Array<[string, number, number, number]> = [
    // name, firstSeen, unhealthySince, expected destroys
    ['unhealthy long enough', 0, t - 5_000, 1],
    ['unhealthy too briefly', 0, t - 4_999, 0],
    ['within grace of creation', t - 9_999, t - 9_999, 0],
    ['grace just over', t - 10_000, t - 10_000, 1],
  ];
  for (const [name, firstSeen, unhealthySince, expected] of cases) {
    const sick = inst('b', { slot: 1, health: 'unhealthy', firstSeen, unhealthySince });
    const actions = plan(input(spec, [inst('a', { slot: 0 }), sick, inst('c', { slot: 2 })], t));
    assert.equal(destroys(actions).length, expected, name);
    if (expected === 1) {
      assert.deepEqual(destroys(actions)[0], { type: 'destroy', instanceId: 'b', reason: 'heal' });
      const [p] = provisions(actions);
      assert.equal(p?.replaces, 'b', `${name}: the replacement waits for the destroy`);
      assert.equal(p?.key, 'g:new:1:1', `${name}: a fresh key, not the sick instance's`);
    }
  }
});

test('unknown health is never treated as unhealthy', () => {
  const observed = [inst('a', { slot: 0, health: 'unknown' }), inst('b', { slot: 1, health: 'unknown' })];
  const actions = plan(input(spec, [...observed, inst('c', { slot: 2 })], t));
  assert.deepEqual(actions, []);
});

test('at most maxInFlight heal replacements run at once, counting those still booting', () => {
  const sick = (id: string, slot: number) => inst(id, { slot, health: 'unhealthy', unhealthySince: 0 });
  const five = testSpec({ size: 5, health: { maxInFlight: 2 } });
  const all = [sick('a', 0), sick('b', 1), sick('c', 2), inst('d', { slot: 3 }), inst('e', { slot: 4 })];
  assert.equal(destroys(plan(input(five, all, t))).length, 2);
  const booting = inst('f', { slot: 9, health: 'unknown', firstSeen: t - 1_000 });
  const withBooting = [sick('a', 0), sick('b', 1), inst('d', { slot: 3 }), inst('e', { slot: 4 }), booting];
  assert.deepEqual(
    destroys(plan(input(five, withBooting, t))).map((d) => d.instanceId),
    ['a'],
    'one replacement is still in grace',
  );
});

test('a paused group plans nothing', () => {
  assert.deepEqual(plan(input(spec, [], t, { paused: true })), []);
});
