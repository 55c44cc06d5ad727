// Drives the planner against a tiny instant world to check whole rollouts, not single steps:
// capacity bounds hold on every tick, and the group ends converged on the new config.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instanceId, logicalId } from '../../spi/index.js';
import { testSpec } from '../testing/plan-fixtures.js';
import { plan } from './plan.js';
import { applyTransitions, initialPlannerState, recordGenerations } from './state.js';
import type { ObservedInstance, PlannerState } from './types.js';

interface World {
  instances: ObservedInstance[];
  seq: number;
}

function run(spec: ReturnType<typeof testSpec>, start: ObservedInstance[], bootMs: number) {
  const world: World = { instances: start, seq: 0 };
  let state: PlannerState = {
    ...initialPlannerState,
    rollout: { fromConfig: 'old', toConfig: 'new', startedAt: 0, state: 'running' },
  };
  const size = 'size' in spec.allocation ? spec.allocation.size : spec.allocation.logicalIds.length;
  let minHealthy = Number.POSITIVE_INFINITY;
  let maxLive = 0;
  for (let now = 0; now < 200_000; now += 500) {
    for (const i of world.instances) {
      if (i.health !== 'healthy' && now - i.firstSeen >= bootMs) {
        i.health = 'healthy';
        i.healthySince = now;
      }
    }
    state = recordGenerations(state, spec.id, world.instances);
    const actions = plan({ spec, targetConfig: 'new', observed: world.instances, now, state });
    state = applyTransitions(state, actions, now);
    if (state.rollout?.state === 'done') return { now, minHealthy, maxLive, world };
    for (const a of actions) {
      if (a.type === 'destroy') world.instances = world.instances.filter((i) => i.id !== a.instanceId);
    }
    for (const a of actions) {
      if (a.type !== 'provision') continue;
      const created: ObservedInstance = {
        id: instanceId(`n${world.seq++}`),
        config: a.config,
        op: a.key,
        health: 'unknown',
        firstSeen: now,
      };
      if (a.logicalId !== undefined) created.logicalId = a.logicalId;
      world.instances.push(created);
    }
    maxLive = Math.max(maxLive, world.instances.length);
    minHealthy = Math.min(minHealthy, world.instances.filter((i) => i.health === 'healthy').length);
  }
  assert.fail(`no convergence for size ${size}`);
}

const oldOnes = (n: number, logical = false) =>
  Array.from({ length: n }, (_, k) => {
    const i: ObservedInstance = {
      id: instanceId(`o${k}`),
      config: 'old',
      health: 'healthy',
      firstSeen: -100_000,
      healthySince: -100_000,
    };
    if (logical) i.logicalId = logicalId(String.fromCharCode(97 + k));
    return i;
  });

test('size rollouts finish within bounds for a table of settings', () => {
  for (const [size, surge, unavailable] of [
    [1, 1, 0],
    [3, 1, 0],
    [5, 0, 1],
    [7, 2, 1],
    [10, 3, 0],
    [4, 0, 0],
  ] as const) {
    const spec = testSpec({ size, update: { maxSurge: surge, maxUnavailable: unavailable } });
    const result = run(spec, oldOnes(size), 1_000);
    const label = `size ${size} surge ${surge} unavailable ${unavailable}`;
    assert.ok(result.maxLive <= size + Math.max(surge, unavailable === 0 && surge === 0 ? 1 : 0), label);
    assert.ok(result.minHealthy >= size - unavailable, `${label}: min healthy ${result.minHealthy}`);
    assert.ok(result.world.instances.every((i) => i.config === 'new'));
    assert.equal(result.world.instances.length, size);
  }
});

test('logical-ID rollouts change one member at a time', () => {
  for (const surge of [0, 1]) {
    const spec = testSpec({
      logicalIds: ['a', 'b', 'c', 'd', 'e'],
      update: { maxSurge: surge, maxUnavailable: 1 },
    });
    const result = run(spec, oldOnes(5, true), 1_000);
    assert.ok(result.minHealthy >= 4, `surge ${surge}: never two members down`);
    assert.ok(result.maxLive <= 5 + surge);
    assert.deepEqual(result.world.instances.map((i) => i.logicalId).sort(), ['a', 'b', 'c', 'd', 'e']);
  }
});
