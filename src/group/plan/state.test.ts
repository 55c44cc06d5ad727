import assert from 'node:assert/strict';
import { test } from 'node:test';
import { input, inst, testSpec } from '../testing/plan-fixtures.js';
import { plan } from './plan.js';
import {
  applyTransitions,
  initialPlannerState,
  missingSince,
  parsePlannerState,
  plannerStateToJson,
  recordGenerations,
  recordListed,
  recordProvisioned,
} from './state.js';
import type { PlannerState } from './types.js';

test('rollout transitions: start, rollback to the previous spec, then done', () => {
  const previousSpec = testSpec({ image: 'app:0' });
  let state = applyTransitions(
    initialPlannerState,
    [{ type: 'rollout-start', fromConfig: 'a', toConfig: 'b' }],
    5,
  );
  assert.deepEqual(state.rollout, { fromConfig: 'a', toConfig: 'b', startedAt: 5, state: 'running' });
  state = {
    ...state,
    rollout: { fromConfig: 'a', toConfig: 'b', startedAt: 5, state: 'running', previousSpec },
  };
  state = applyTransitions(state, [{ type: 'rollout-failed', onFailure: 'rollback', reason: 'timeout' }], 9);
  assert.equal(state.rollout?.state, 'rolling-back');
  assert.equal(state.rollout?.toConfig, 'a');
  assert.equal(state.rollout?.targetSpec, previousSpec);
  assert.equal(state.paused, false);
  state = applyTransitions(state, [{ type: 'rollout-done' }], 10);
  assert.equal(state.rollout?.state, 'done');
});

test('a paused rollout pauses the group', () => {
  const start = applyTransitions(
    initialPlannerState,
    [{ type: 'rollout-start', fromConfig: 'a', toConfig: 'b' }],
    0,
  );
  const state = applyTransitions(start, [{ type: 'rollout-failed', onFailure: 'pause', reason: 'sick' }], 1);
  assert.equal(state.paused, true);
  assert.equal(state.rollout?.state, 'paused');
  assert.equal(state.rollout?.reason, 'sick');
});

test('generations remember the highest one seen per slot', () => {
  const observed = [
    inst('a', { slot: 0, generation: 3 }),
    inst('b', { slot: 1 }),
    inst('c', { slot: 0, generation: 1 }),
  ];
  const state = recordGenerations(initialPlannerState, 'g', observed);
  assert.deepEqual(state.generations, { '0': 3, '1': 0 });
  assert.equal(recordGenerations(state, 'g', observed), state, 'unchanged state keeps its identity');
});

test('state survives a JSON round trip; garbage starts fresh', () => {
  const state: PlannerState = {
    paused: true,
    rollout: { fromConfig: 'a', toConfig: 'b', startedAt: 1, state: 'running', previousSpec: testSpec() },
    breaker: {
      status: 'open',
      consecutiveFailures: 6,
      openedAt: 9,
      reason: 'r (not retried: fix the spec)',
      lastFailure: 'r',
      earlyExits: 3,
      retryAt: 12,
      rejectedConfig: 'b',
    },
    generations: { '0': 2 },
  };
  assert.deepEqual(parsePlannerState(plannerStateToJson(state)), state);
  assert.deepEqual(parsePlannerState({ paused: 'yes' }), initialPlannerState);
  assert.deepEqual(parsePlannerState(undefined), initialPlannerState);
});

test('successful provisions raise their slot’s generation; the next key is fresh', () => {
  const spec = testSpec({ size: 3 });
  const state = recordProvisioned(initialPlannerState, 'g', [
    { config: 'new', key: 'g:new:2:0' },
    { config: 'new', key: 'g:new:0:4' },
    { config: 'new', key: 'other:new:1:9' },
  ]);
  assert.deepEqual(state.generations, { '0': 4, '2': 0 }, 'foreign keys are ignored');
  const observed = [inst('a', { slot: 0, generation: 4 }), inst('b', { slot: 1 })];
  const keys = plan(input(spec, observed, 100_000, state)).flatMap((a) =>
    a.type === 'provision' ? [a.key] : [],
  );
  assert.deepEqual(keys, ['g:new:2:1']);
  assert.equal(recordProvisioned(state, 'g', [{ config: 'new', key: 'g:new:2:0' }]), state);
});

test("the listed instances are stored sorted, without this tick's victims, and rewritten only on change", () => {
  const ids = (...names: string[]) => new Set(names.map((n) => inst(n).id));
  const destroyB = [{ type: 'destroy' as const, instanceId: inst('b').id, reason: 'heal' as const }];
  const state = recordListed(initialPlannerState, ids('c', 'a', 'b'), destroyB);
  assert.deepEqual(state.listed, ['a', 'c']);
  assert.equal(recordListed(state, ids('a', 'c'), []), state, 'same set, same state: no journal write');
  assert.equal(recordListed(state, ids('c', 'b', 'a'), destroyB), state, "the same less this tick's victim");
  assert.deepEqual(
    recordListed(state, ids('a', 'b', 'c'), []).listed,
    ['a', 'b', 'c'],
    'one more: rewritten',
  );
  assert.deepEqual(recordListed(state, ids('a', 'd'), []).listed, ['a', 'd'], 'same size, another set');
  const destroyD = [{ type: 'destroy' as const, instanceId: inst('d').id, reason: 'heal' as const }];
  assert.deepEqual(
    recordListed(state, ids('a'), destroyD).listed,
    ['a'],
    'a victim not listed counts for nothing',
  );
  assert.deepEqual(missingSince(state, ids('c', 'd')), ['a']);
  assert.deepEqual(missingSince(initialPlannerState, ids('c')), [], 'no list stored: nothing to report');
  assert.deepEqual(parsePlannerState(plannerStateToJson(state)).listed, ['a', 'c']);
});
