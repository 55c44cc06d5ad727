// The planner's cost per tick is bounded whatever the group's size (issue #10, item 1): a size of
// millions plans at most `maxActionsPerTick` actions, and builds nothing per missing slot.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { input, inst, testSpec } from '../testing/plan-fixtures.js';
import { plan } from './plan.js';
import { DEFAULT_MAX_ACTIONS_PER_TICK, defaultPlanLimits } from './types.js';

const provisions = (actions: ReturnType<typeof plan>) => actions.filter((a) => a.type === 'provision');

test('a size of 1,000,000 plans at most the default bound, and the next tick continues', () => {
  const spec = testSpec({ size: 1_000_000 });
  const first = provisions(plan(input(spec, [], 0)));
  assert.equal(DEFAULT_MAX_ACTIONS_PER_TICK, 1_000);
  assert.equal(first.length, DEFAULT_MAX_ACTIONS_PER_TICK);
  assert.deepEqual(
    first.slice(0, 3).map((a) => a.slot),
    [0, 1, 2],
  );
  // Those instances exist now: the next tick takes the next slots, not the same ones again.
  const made = first.map((a, n) => inst(`i-${n}`, { slot: a.slot ?? -1 }));
  const second = provisions(plan(input(spec, made, 1)));
  assert.equal(second.length, DEFAULT_MAX_ACTIONS_PER_TICK);
  assert.equal(second[0]?.slot, DEFAULT_MAX_ACTIONS_PER_TICK);
});

test('maxActionsPerTick bounds destroys and provisions together', () => {
  const limits = { ...defaultPlanLimits, maxActionsPerTick: 10 };
  const grow = plan({ ...input(testSpec({ size: 1_000_000 }), [], 0), limits });
  assert.equal(grow.length, 10);
  // Scale-in from 50 to 0: ten destroys a tick.
  const many = Array.from({ length: 50 }, (_, n) => inst(`i-${n}`, { slot: n }));
  const shrink = plan({ ...input(testSpec({ size: 0 }), many, 0), limits });
  assert.equal(shrink.length, 10);
  assert.ok(shrink.every((a) => a.type === 'destroy' && a.reason === 'scale-in'));
  // Logical IDs: 30 missing members, ten a tick.
  const pets = testSpec({ logicalIds: Array.from({ length: 30 }, (_, n) => `m${n}`) });
  assert.equal(plan({ ...input(pets, [], 0), limits }).length, 10);
});

test('planning a size of 5,000,000 allocates nothing per missing slot', () => {
  const spec = testSpec({ size: 5_000_000 });
  const before = process.memoryUsage().heapUsed;
  const actions = plan(input(spec, [], 0));
  const grown = process.memoryUsage().heapUsed - before;
  assert.equal(actions.length, DEFAULT_MAX_ACTIONS_PER_TICK);
  // An action per slot would be about a gigabyte here; a thousand actions are well under 1 MB.
  assert.ok(grown < 64 * 1024 * 1024, `the plan grew the heap by ${grown} bytes`);
});
