import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TAG_CONFIG } from '../../spi/index.js';
import { parsePlannerState } from '../plan/state.js';
import { configHash } from '../spec/index.js';
import { kit } from '../testing/controller-test-kit.js';
import { testSpec } from '../testing/plan-fixtures.js';
import type { RollbackNotice } from './controller-api.js';

const v1 = testSpec({ size: 3, image: 'app:1' });
const v2 = testSpec({ size: 3, image: 'app:2' });

/** Ticks every second until `done` or the limit; returns the ticks used. */
async function tickUntil(k: ReturnType<typeof kit>, done: () => boolean, limit = 200, onTick = () => {}) {
  for (let i = 0; i < limit; i++) {
    if (done()) return i;
    await k.controller.tick();
    onTick();
    await k.clock.advance(1_000);
  }
  assert.fail('condition not reached');
}

const configs = (k: ReturnType<typeof kit>) => [...k.cloud.instances.values()].map((i) => i.tags[TAG_CONFIG]);

test('update() rolls the group to the new config within surge and unavailability bounds', async () => {
  const k = kit(v1);
  await tickUntil(k, () => k.cloud.instances.size === 3);
  k.controller.update(v2);
  let maxLive = 0;
  let minHealthy = 3;
  await tickUntil(
    k,
    () => configs(k).every((c) => c === configHash(v2)) && k.controller.status().rollout?.state === 'done',
    200,
    () => {
      maxLive = Math.max(maxLive, k.cloud.instances.size);
      minHealthy = Math.min(minHealthy, k.cloud.instances.size);
    },
  );
  assert.ok(maxLive <= 4, `surge 1: at most 4 live, saw ${maxLive}`);
  assert.ok(minHealthy >= 3, 'maxUnavailable 0');
  const types = k.types();
  assert.ok(
    types.includes('rollout-started') && types.includes('rollout-step') && types.includes('rollout-done'),
  );
  assert.equal(k.controller.status().phase, 'converged');
});

test('new instances turning unhealthy roll back to the previous spec', async () => {
  const spec = (image: string) => testSpec({ size: 2, image, update: { onFailure: 'rollback' } });
  const k = kit(spec('app:1'));
  await tickUntil(k, () => k.cloud.instances.size === 2);
  const bad = configHash(spec('app:bad'));
  k.controller.update(spec('app:bad'));
  // Every instance of the bad config reports unhealthy.
  k.flavor.healthy = async (_p, instance) => (instance.tags[TAG_CONFIG] === bad ? 'unhealthy' : 'healthy');
  await tickUntil(k, () => k.types().includes('rollout-rollback'));
  assert.equal(k.controller.status().rollout?.state, 'rolling-back');
  await tickUntil(
    k,
    () =>
      configs(k).every((c) => c === configHash(spec('app:1'))) &&
      k.controller.status().rollout?.state === 'done',
  );
  assert.equal(k.controller.status().config, configHash(spec('app:1')), 'the restored spec stays the target');
});

test('onFailure pause stops the group and resume continues', async () => {
  const k = kit(testSpec({ size: 2, update: { timeoutMs: 5_000 } }));
  await tickUntil(k, () => k.cloud.instances.size === 2);
  k.flavor.fallback = 'unknown'; // new instances never prove healthy: the rollout times out
  k.controller.update(testSpec({ size: 2, image: 'app:2', update: { timeoutMs: 5_000 } }));
  await tickUntil(k, () => k.types().includes('rollout-paused'));
  assert.equal(k.controller.status().phase, 'paused');
  const before = k.cloud.calls.length;
  await k.controller.tick();
  assert.equal(k.cloud.calls.length, before + 1, 'only the describe');
  k.controller.resume();
  assert.equal(k.controller.status().rollout?.state, 'running');
});

test('a new leader resumes a half-done rollout from the journal', async () => {
  const k = kit(v1);
  await tickUntil(k, () => k.cloud.instances.size === 3);
  k.controller.update(v2);
  await tickUntil(k, () => configs(k).filter((c) => c === configHash(v2)).length === 2);
  await k.controller.stop();
  const saved = parsePlannerState(k.journal.state());
  assert.equal(saved.rollout?.state, 'running');
  assert.equal(saved.rollout?.toConfig, configHash(v2));
  assert.ok(saved.rollout?.previousSpec !== undefined, 'rollback target survives failover');

  // The new leader starts from the same committed spec and the same journal.
  const successor = k.make({ spec: v2, epoch: 8 });
  await tickUntil({ ...k, controller: successor }, () => configs(k).every((c) => c === configHash(v2)));
  const status = successor.status();
  assert.equal(status.rollout?.fromConfig, configHash(v1));
  assert.ok(k.cloud.instances.size <= 4);
});

test('open intents of a deposed leader are resolved on start', async () => {
  const k = kit(testSpec({ size: 1 }));
  await k.journal.putIntent({
    key: 'g:abc:0:0',
    groupId: v1.id,
    operation: 'provision',
    config: 'abc',
    epoch: 6,
    at: new Date(0).toISOString(),
  });
  k.controller.start(new AbortController().signal);
  await k.clock.advance(0);
  assert.deepEqual(k.journal.intents(), []);
  assert.ok(k.cloud.calls.some((c) => c === 'describe'));
  await k.controller.stop();
});

test('a rollback is announced with the known-good spec, and again by a new controller until committed', async () => {
  const spec = (image: string) => testSpec({ size: 2, image, update: { onFailure: 'rollback' } });
  const notices: RollbackNotice[] = [];
  const k = kit(spec('app:1'), { onRollback: (notice) => notices.push(notice) });
  await tickUntil(k, () => k.cloud.instances.size === 2);
  const bad = configHash(spec('app:bad'));
  k.controller.update(spec('app:bad'));
  k.flavor.healthy = async (_p, instance) => (instance.tags[TAG_CONFIG] === bad ? 'unhealthy' : 'healthy');
  await tickUntil(k, () => k.types().includes('rollout-rollback'));
  assert.equal(notices.length, 1);
  assert.deepEqual(notices[0]?.spec, spec('app:1'));
  assert.equal(notices[0]?.failedConfig, bad);
  assert.match(notices[0]?.reason ?? '', /turned unhealthy/);
  await k.controller.stop();

  // The leader died before committing: the next controller starts from the stored (bad) spec and
  // the journal's rollback, and asks again.
  const next = k.make({ spec: spec('app:bad'), onRollback: (notice) => notices.push(notice) });
  await next.tick();
  assert.equal(notices.length, 2);
  assert.deepEqual(notices[1]?.spec, spec('app:1'));
  // The commit arrives as update(): the restored spec is the user's now, and nobody asks again.
  next.update(spec('app:1'));
  await next.tick();
  await next.stop();
  const third = k.make({ spec: spec('app:1'), onRollback: (notice) => notices.push(notice) });
  await third.tick();
  await third.stop();
  assert.equal(notices.length, 2);
});
