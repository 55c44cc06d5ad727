import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configHash, parseGroupObject } from '../group/index.js';
import { type GroupStatus, groupId, instanceId } from '../spi/index.js';
import { previewGroupPlan } from './plan-preview.js';

const spec = parseGroupObject({
  id: 'web',
  allocation: { size: 5 },
  instance: { plugin: 'fake', properties: { image: 'b' } },
  flavor: { plugin: 'plain' },
  update: { maxSurge: 2, maxUnavailable: 1 },
});

function running(n: number, config: string): GroupStatus {
  const instances = Array.from({ length: n }, (_, i) => ({
    id: instanceId(`web-${i}`),
    config,
    health: 'healthy' as const,
    createdAt: 0,
    tags: {},
  }));
  return {
    id: groupId('web'),
    phase: 'converged',
    desired: n,
    observed: n,
    healthy: n,
    config,
    byConfig: { [config]: n },
    instances,
    breaker: { open: false, consecutiveFailures: 0 },
    paused: false,
  };
}

test('tend plan shows the batches plan() takes, where surge + unavailable would say otherwise', () => {
  const config = configHash(spec);
  const preview = previewGroupPlan(
    spec,
    config,
    { config: 'old', desired: 5, status: running(5, 'old') },
    { now: 1_000_000 },
  );
  // maxSurge + maxUnavailable = 3 would give [3, 2]; the planner may take only one old
  // instance down while the first new ones start, then three once they are ready.
  assert.deepEqual(preview.rollout?.batches, [1, 3, 1]);
  assert.deepEqual(
    [preview.change, preview.creates, preview.destroys, preview.rollout?.instances],
    ['update', 5, 5, 5],
  );
});

test('a new group is created whole; an unchanged one plans nothing', () => {
  const config = configHash(spec);
  const fresh = previewGroupPlan(spec, config, undefined, { now: 0 });
  assert.deepEqual([fresh.change, fresh.creates, fresh.destroys], ['create', 5, 0]);
  const same = previewGroupPlan(spec, config, { config, desired: 5, status: running(5, config) }, { now: 0 });
  assert.deepEqual([same.change, same.creates, same.destroys, same.rollout], ['unchanged', 0, 0, undefined]);
});
