import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StaticLeadership } from '../leadership/index.js';
import type { GroupStatus } from '../spi/index.js';
import { MemoryStore } from '../store/index.js';
import { Manager } from './manager.js';
import { MAX_GROUPS_PER_POINT, MetricsHistory } from './metrics-history.js';
import { fakeControllers, fakeResolver, sampleSpec } from './testing/manager-fixtures.js';

const group = (id: string, healthy: number, desired: number) =>
  ({ id, healthy, desired, observed: healthy }) as unknown as GroupStatus;

test('each interval closes with the counts, the calls by result and the reconcile times in it', () => {
  let now = 1_000;
  let groups = [group('web', 2, 3)];
  const history = new MetricsHistory({ groups: () => groups, now: () => now, intervalMs: 10_000 });
  history.providerCall('ok');
  history.providerCall('ok');
  history.providerCall('throttled');
  history.reconciled(0.01);
  history.reconciled(0.03);
  now = 11_000;
  history.sample();
  groups = [group('web', 3, 3)];
  history.providerCall('error');
  now = 15_000;
  const view = history.view();
  assert.equal(view.intervalMs, 10_000);
  assert.equal(view.points.length, 2);
  const [closed, open] = view.points;
  assert.deepEqual(closed, {
    at: 11_000,
    groups: { web: { healthy: 2, desired: 3, observed: 2 } },
    providerCalls: { ok: 2, throttled: 1, exhausted: 0, error: 0 },
    reconcile: { count: 2, meanMs: 20, maxMs: 30 },
  });
  assert.equal(open?.partial, true);
  assert.equal(open?.at, 15_000);
  assert.deepEqual(open?.providerCalls, { ok: 0, throttled: 0, exhausted: 0, error: 1 });
  assert.deepEqual(open?.reconcile, { count: 0, meanMs: 0, maxMs: 0 });
  assert.equal(open?.groups.web?.healthy, 3);
});

test('the ring keeps only its capacity of intervals, and a point only the first groups by ID', () => {
  const many = Array.from({ length: MAX_GROUPS_PER_POINT + 20 }, (_, i) =>
    group(`g${String(i).padStart(4, '0')}`, 1, 1),
  );
  let now = 0;
  const history = new MetricsHistory({ groups: () => many, now: () => now, capacity: 5 });
  for (let i = 1; i <= 12; i++) {
    now = i * 10_000;
    history.sample();
  }
  const points = history.view().points;
  assert.equal(points.length, 6, 'five closed and the open one');
  assert.deepEqual(
    points.slice(0, 5).map((p) => p.at),
    [80_000, 90_000, 100_000, 110_000, 120_000],
  );
  const ids = Object.keys(points[0]?.groups ?? {});
  assert.equal(ids.length, MAX_GROUPS_PER_POINT);
  assert.equal(ids[0], 'g0000');
});

test('a bad capacity or interval is refused with the field named', () => {
  assert.throws(() => new MetricsHistory({ groups: () => [], capacity: 0 }), /capacity/);
  assert.throws(() => new MetricsHistory({ groups: () => [], intervalMs: 5 }), /intervalMs/);
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test('GET /v1/metrics/history answers a viewer with the leader ring, and refuses no token', async () => {
  const controllers = fakeControllers();
  const manager = await Manager.create({
    name: 'm1',
    store: new MemoryStore(),
    resolver: fakeResolver(),
    leadership: ({ address }) => new StaticLeadership({ name: 'm1', address }),
    listen: { port: 0 },
    createController: controllers.create,
    defaultAuthor: 'test',
  });
  cleanups.push(() => manager.stop());
  manager.start();
  for (let i = 0; i < 2000 && !manager.isLeader(); i++) await sleep(5);
  const viewer = manager.services.tokens;
  const { token } = await viewer.create('vera', 'viewer');
  await manager.apply(sampleSpec('web', 2), {});
  manager.services.metrics.reconciled('web', 0.004);
  manager.services.metrics.history.sample();
  const answer = await fetch(`${manager.address}/v1/metrics/history`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(answer.status, 200);
  const body = (await answer.json()) as ReturnType<MetricsHistory['view']>;
  assert.equal(body.points.length, 2);
  assert.deepEqual(Object.keys(body.points[0]?.groups ?? {}), ['web']);
  assert.equal(body.points[0]?.reconcile.count, 1);
  assert.equal((await fetch(`${manager.address}/v1/metrics/history`)).status, 401);
});
