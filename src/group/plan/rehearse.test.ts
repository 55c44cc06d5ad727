import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configHash } from '../spec/index.js';
import { inst, testSpec } from '../testing/plan-fixtures.js';
import { rehearse } from './rehearse.js';

const olds = (n: number) => Array.from({ length: n }, (_, k) => inst(`o${k}`, { slot: k, config: 'old' }));

test('a rollout is rehearsed batch by batch as plan() does it, not as surge + unavailable', () => {
  // The formula would say batches of 3 (surge 2 + unavailable 1): [3, 2]. The planner first
  // takes one old instance (only one may be unavailable) while three new ones start, then three.
  const spec = testSpec({ size: 5, update: { maxSurge: 2, maxUnavailable: 1 } });
  const result = rehearse({ spec, observed: olds(5), now: 1_000_000 });
  assert.deepEqual(result.batches, [1, 3, 1]);
  assert.deepEqual([result.creates, result.destroys, result.failed], [5, 5, false]);
});

test('a rollout with surge 1 replaces one at a time; growth and shrinking count too', () => {
  const grow = rehearse({ spec: testSpec({ size: 4 }), observed: olds(3), now: 0 });
  assert.deepEqual([grow.batches, grow.creates, grow.destroys], [[1, 1, 1], 4, 3]);
  const same = testSpec({ size: 2 });
  const current = [0, 1, 2].map((k) => inst(`n${k}`, { slot: k, config: configHash(same) }));
  const shrink = rehearse({ spec: same, observed: current, now: 0 });
  assert.deepEqual([shrink.batches, shrink.creates, shrink.destroys], [[], 0, 1]);
});

test('a rollout that outlasts its timeout is shown failing', () => {
  const spec = testSpec({ size: 4, update: { maxSurge: 1, healthyForMs: 60_000, timeoutMs: 90_000 } });
  const result = rehearse({ spec, observed: olds(4), now: 0 });
  assert.equal(result.failed, true);
  assert.ok(result.batches.length < 4);
});

test('past its budget a long rollout is extrapolated from the last batch', () => {
  const spec = testSpec({ size: 50 });
  const full = rehearse({ spec, observed: olds(50), now: 0 });
  const cut = rehearse({ spec, observed: olds(50), now: 0, budget: 500 });
  assert.equal(full.extrapolated, false);
  assert.equal(cut.extrapolated, true);
  assert.deepEqual(cut.batches, full.batches);
  assert.deepEqual([cut.creates, cut.destroys], [full.creates, full.destroys]);
});
