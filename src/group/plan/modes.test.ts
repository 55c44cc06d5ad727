import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ids, input, inst, testSpec } from '../testing/plan-fixtures.js';
import { plan } from './plan.js';
import { keepVictims, markVictims, parsePlannerState, plannerStateToJson } from './state.js';
import type { Action, ProvisionAction } from './types.js';

const steps = (actions: Action[]) =>
  actions.flatMap((a) =>
    a.type === 'destroy'
      ? [`destroy ${a.instanceId} ${a.reason}`]
      : a.type === 'provision'
        ? [
            `provision ${a.logicalId ?? a.slot} ${a.reason}${a.replaces === undefined ? '' : ` after ${a.replaces}`}`,
          ]
        : [a.type],
  );
const t = 100_000;
const three = [inst('a', { slot: 0 }), inst('b', { slot: 1 }), inst('c', { slot: 2 })];

test('destroy-all destroys every observed instance, paused or not, and creates nothing', () => {
  const spec = testSpec({ size: 3 });
  for (const paused of [false, true]) {
    const actions = plan({ ...input(spec, three, t, { paused }), mode: 'destroy-all' });
    assert.deepEqual(steps(actions), [
      'destroy a group-destroy',
      'destroy b group-destroy',
      'destroy c group-destroy',
    ]);
  }
  assert.deepEqual(plan({ ...input(spec, [], t), mode: 'destroy-all' }), []);
});

test('destroy-all stays within maxActionsPerTick; the next tick goes on', () => {
  const limits = { breakerThreshold: 5, breakerCoolDownMs: 60_000, maxActionsPerTick: 2 };
  const actions = plan({ ...input(testSpec({ size: 3 }), three, t), limits, mode: 'destroy-all' });
  assert.deepEqual(steps(actions), ['destroy a group-destroy', 'destroy b group-destroy']);
});

test('destroy-these destroys exactly the victims, not what scale-in order would pick', () => {
  // Size already 2 (committed with the victims); scale-in by oldest would pick a.
  const spec = testSpec({ size: 2 });
  const aged = [
    inst('a', { slot: 0, firstSeen: 1 }),
    inst('b', { slot: 1, firstSeen: 2 }),
    inst('c', { slot: 2, firstSeen: 3 }),
  ];
  assert.deepEqual(steps(plan(input(spec, aged, t))), ['destroy a scale-in'], 'without victims');
  assert.deepEqual(steps(plan(input(spec, aged, t, { victims: ids('c') }))), ['destroy c terminate']);
});

test('a victim whose destroy failed is destroyed again; nobody else is picked meanwhile', () => {
  const spec = testSpec({ size: 1 });
  const state = { victims: ids('b', 'c') };
  // b went, c's destroy failed: the next tick sees a and c.
  const next = [inst('a', { slot: 0 }), inst('c', { slot: 2 })];
  assert.deepEqual(steps(plan(input(spec, next, t, state))), ['destroy c terminate']);
});

test('victims go while the group is paused, and nothing else does', () => {
  const spec = testSpec({ size: 2 });
  assert.deepEqual(steps(plan(input(spec, three, t, { paused: true, victims: ids('b') }))), [
    'destroy b terminate',
  ]);
  assert.deepEqual(plan(input(spec, three, t, { paused: true })), []);
});

test('a victim goes through the breaker: it is the operator’s word, not remediation', () => {
  const spec = testSpec({ size: 2 });
  const breaker = { status: 'open' as const, consecutiveFailures: 5, openedAt: t };
  assert.deepEqual(steps(plan(input(spec, three, t, { breaker, victims: ids('a') }))), [
    'destroy a terminate',
  ]);
});

test('a size group short of instances refills only in the room its victims leave', () => {
  // Size 3 → 2 with victim c; b is gone meanwhile: one new instance, after c's destroy.
  const spec = testSpec({ size: 2 });
  const seen = [inst('a', { slot: 0 }), inst('c', { slot: 2 })];
  assert.deepEqual(steps(plan(input(spec, seen, t, { victims: ids('c') }))), [
    'destroy c terminate',
    'provision 1 heal after c',
  ]);
});

test('an old-config victim starts no rollout', () => {
  const spec = testSpec({ size: 2 });
  const seen = [inst('a', { slot: 0 }), inst('b', { slot: 1 }), inst('x', { slot: 2, config: 'old' })];
  assert.deepEqual(steps(plan(input(spec, seen, t, { victims: ids('x') }))), ['destroy x terminate']);
});

test('a logical-ID victim is replaced under its ID once its destroy succeeded', () => {
  const spec = testSpec({ logicalIds: ['a', 'b', 'c'] });
  const pets = [
    inst('i-a', { logicalId: 'a' }),
    inst('i-b', { logicalId: 'b' }),
    inst('i-c', { logicalId: 'c' }),
  ];
  const actions = plan(input(spec, pets, t, { victims: ids('i-b') }));
  assert.deepEqual(steps(actions), ['destroy i-b terminate', 'provision b missing after i-b']);
  const provision = actions.find((a): a is ProvisionAction => a.type === 'provision');
  assert.equal(provision?.key, 'g:new:b:1', 'a fresh generation: the victim’s key is spent');
});

test('victims are kept in the journal until none is observed, and then the field goes', () => {
  let state = markVictims(input(testSpec(), [], t).state, ids('a', 'b'));
  assert.deepEqual(parsePlannerState(plannerStateToJson(state)).victims, ['a', 'b']);
  assert.equal(markVictims(state, ids('a')), state, 'marking again changes nothing');
  state = keepVictims(state, (id) => id !== 'a');
  assert.deepEqual(state.victims, ['b']);
  state = keepVictims(state, () => false);
  assert.equal('victims' in state, false);
});
