import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerClient } from '../api/index.js';
import { configHash } from '../group/index.js';
import { StaticLeadership } from '../leadership/index.js';
import { groupId, instanceId, type SpecRevision, TendError } from '../spi/index.js';
import { MemoryStore } from '../store/index.js';
import { Manager } from './manager.js';
import { specFromRevision } from './spec-codec.js';
import { fakeControllers, fakeResolver, sampleSpec } from './testing/manager-fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(predicate: () => boolean | Promise<boolean>): Promise<void> {
  // A hang guard, not a timing assertion.
  for (let i = 0; i < 2000; i++) {
    if (await predicate()) return;
    await sleep(5);
  }
  throw new Error('condition never held');
}

async function leaderManager() {
  const store = new MemoryStore();
  const controllers = fakeControllers();
  const resolver = fakeResolver();
  const manager = await Manager.create({
    name: 'm1',
    store,
    resolver,
    leadership: ({ address }) => new StaticLeadership({ name: 'm1', address }),
    listen: { port: 0 },
    createController: controllers.create,
    defaultAuthor: 'test',
  });
  cleanups.push(() => manager.stop());
  manager.start();
  await until(() => manager.isLeader());
  return {
    manager,
    store,
    controllers,
    resolver,
    client: new ManagerClient({ url: manager.address, token: manager.localToken }),
  };
}

async function rejectsKind(promise: Promise<unknown>, kind: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => TendError.is(error) && error.kind === kind);
}

test('apply commits a new group, starts its controller and records history', async () => {
  const { client, controllers, store } = await leaderManager();
  const result = await client.apply(sampleSpec('web', 3), { author: 'ann', reason: 'first' });
  assert.deepEqual(
    result.groups.map((g) => [g.id, g.change, g.revision]),
    [['web', 'created', 1]],
  );
  assert.deepEqual(controllers.latest('web')?.calls, ['start']);
  const history = await client.history('web');
  assert.equal(history.revisions[0]?.author, 'ann');
  assert.equal(history.revisions[0]?.reason, 'first');
  assert.equal((await store.list()).length, 1);
  const status = await client.status();
  assert.equal(status.self.role, 'leader');
  assert.equal(status.leader?.name, 'm1');
  assert.deepEqual(
    status.groups.map((g) => [g.id, g.desired]),
    [['web', 3]],
  );
});

test('applying the same spec again changes nothing; a changed one updates the controller', async () => {
  const { client, controllers } = await leaderManager();
  await client.apply(sampleSpec('web', 3));
  const again = await client.apply(sampleSpec('web', 3));
  assert.equal(again.groups[0]?.change, 'unchanged');
  const changed = await client.apply(sampleSpec('web', 4, 'b'));
  assert.equal(changed.groups[0]?.change, 'updated');
  assert.equal(changed.groups[0]?.revision, 2);
  assert.deepEqual(controllers.latest('web')?.calls, ['start', 'update:4']);
});

test('an invalid spec, or one a plugin refuses, is rejected and the stored spec stays', async () => {
  const { client, store } = await leaderManager();
  await client.apply(sampleSpec('web', 3));
  await rejectsKind(client.apply('groups: [{ id: web, allocation: { size: -2 } }]'), 'invalid_spec');
  await rejectsKind(client.apply(sampleSpec('web', 5).replace('image: a', 'bad: true')), 'invalid_spec');
  await rejectsKind(
    client.apply(sampleSpec('web', 5).replace('plugin: fake', 'plugin: nope')),
    'invalid_spec',
  );
  assert.equal((await store.history(groupId('web'))).length, 1);
});

test('a dry run reports creates, destroys and rollout batches and commits nothing', async () => {
  const { client, store } = await leaderManager();
  await client.apply(sampleSpec('web', 3));
  const plan = await client.apply(
    `${sampleSpec('web', 4, 'b')}${sampleSpec('api', 2).replace('groups:', '')}`,
    {
      dryRun: true,
    },
  );
  assert.equal(plan.dryRun, true);
  const web = plan.plan?.find((p) => p.id === 'web');
  const api = plan.plan?.find((p) => p.id === 'api');
  assert.equal(web?.change, 'update');
  assert.equal(web?.creates, 4);
  assert.equal(web?.destroys, 3);
  assert.deepEqual(web?.rollout?.batches, [1, 1, 1]);
  assert.deepEqual([api?.change, api?.creates], ['create', 2]);
  assert.equal((await store.list()).length, 1);
});

test('scale, pause, resume and undo', async () => {
  const { client, controllers } = await leaderManager();
  await client.apply(sampleSpec('web', 3));
  const scaled = await client.scale('web', 5);
  assert.equal(scaled.revision, 2);
  await client.rollout('web', 'pause');
  assert.equal((await client.group('web')).status?.paused, true);
  await client.rollout('web', 'resume');
  const undone = await client.rollout('web', 'undo');
  assert.equal(undone.revision, 3);
  const history = await client.history('web');
  assert.deepEqual(
    history.revisions.map((r) => r.spec),
    [history.revisions[0]?.spec, history.revisions[1]?.spec, history.revisions[0]?.spec],
  );
  assert.deepEqual(controllers.latest('web')?.calls, ['start', 'update:5', 'pause', 'resume', 'update:3']);
  await rejectsKind(client.scale('nope', 1), 'not_found');
});

test('a client reads its own writes: cached answers are dropped by the manager, not the server', async () => {
  const { client } = await leaderManager();
  await client.apply(sampleSpec('web', 3));
  // Read twice, so both answers sit in the read cache (they would stay 250 ms if nothing dropped them).
  for (let i = 0; i < 2; i++) {
    assert.equal((await client.group('web')).status?.paused, false);
    assert.equal((await client.status()).groups.find((g) => g.id === 'web')?.desired, 3);
  }
  await client.rollout('web', 'pause');
  assert.equal((await client.group('web')).status?.paused, true);
  await client.scale('web', 5);
  assert.equal((await client.status()).groups.find((g) => g.id === 'web')?.desired, 5);
});

test('destroy drains the group then forgets it; free forgets and leaves instances', async () => {
  const { client, controllers, store } = await leaderManager();
  await client.apply(sampleSpec('web', 2));
  await client.apply(sampleSpec('api', 2));
  await client.destroy('web');
  assert.deepEqual(controllers.latest('web')?.calls, ['start', 'destroyAll', 'stop']);
  await client.free('api');
  assert.deepEqual(controllers.latest('api')?.calls, ['start', 'stop']);
  assert.deepEqual(await store.list(), []);
  await rejectsKind(client.group('web'), 'not_found');
  // History survives removal, ending with a tombstone.
  assert.equal((await client.history('web')).revisions.at(-1)?.deleted, true);
});

test('every spec commit is a `committed` event: who, what, group, revision', async () => {
  const { client, controllers } = await leaderManager();
  await client.apply(sampleSpec('web', 3), { author: 'ann' });
  await client.apply(sampleSpec('web', 3), { author: 'ann' }); // unchanged: no commit, no event
  await client.scale('web', 5, { author: 'bob', reason: 'load' });
  await client.rollout('web', 'undo', { author: 'ann' });
  await client.apply(sampleSpec('web', 4, 'b'), { author: 'ann' });
  // The controller gave up on revision 4's config and went back: the manager commits that too.
  const controller = controllers.latest('web');
  assert.ok(controller !== undefined);
  controller.options.onRollback?.({
    spec: specFromRevision((await client.history('web')).revisions[0] as SpecRevision),
    failedConfig: configHash(controller.spec),
    reason: 'unhealthy',
  });
  await until(async () => (await client.history('web')).revisions.length === 5);
  await client.apply(sampleSpec('api', 1), { author: 'cy' });
  await client.destroyInstances('web', ['web-1'], { author: 'ann' });
  await client.destroy('web', { author: 'dee' });
  await client.free('api');

  const committed = (await client.events()).events.filter((e) => e.type === 'committed');
  const token = `manager:m1`; // the bearer token the client used, as the API let it in
  assert.deepEqual(
    committed.map((e) => [e.groupId, e.data?.action, e.data?.revision, e.data?.author, e.data?.token]),
    [
      ['web', 'apply', 1, 'ann', token],
      ['web', 'scale', 2, 'bob', token],
      ['web', 'rollout undo', 3, 'ann', token],
      ['web', 'apply', 4, 'ann', token],
      ['web', 'rollback', 5, 'tend', undefined],
      ['api', 'apply', 1, 'cy', token],
      ['web', 'instances destroy', 6, 'ann', token],
      ['web', 'destroy', 7, 'dee', token],
      ['api', 'free', 2, 'test', token],
    ],
  );
  assert.deepEqual(
    committed.map((e) => e.message),
    [
      `revision 1 by ann (token ${token}): apply (created)`,
      `revision 2 by bob (token ${token}): scale to 5 — load`,
      `revision 3 by ann (token ${token}): rollout undo: back to revision 1`,
      `revision 4 by ann (token ${token}): apply (updated)`,
      'revision 5 by tend: automatic rollback: unhealthy; back to revision 3',
      `revision 1 by cy (token ${token}): apply (created)`,
      `revision 6 by ann (token ${token}): destroy instances`,
      `revision 7 by dee (token ${token}): destroy`,
      `revision 2 by test (token ${token}): free`,
    ],
  );
  // Each revision the events name is the one history stored, with the same author and reason.
  const history = (await client.history('web')).revisions;
  for (const event of committed.filter((e) => e.groupId === 'web')) {
    const revision = history.find((r) => r.revision === event.data?.revision);
    assert.deepEqual([revision?.author, revision?.reason], [event.data?.author, event.data?.reason]);
  }
});

test('destroyInstances destroys the named instances and shrinks the group', async () => {
  const { manager, client, resolver } = await leaderManager();
  await client.apply(sampleSpec('web', 3));
  await client.destroyInstances('web', ['web-1']);
  assert.deepEqual(resolver.destroyed, ['web-1']);
  const group = await client.group('web');
  assert.equal(group.status?.desired, 2);
  await rejectsKind(client.destroyInstances('web', ['stranger']), 'not_found');
  assert.equal(manager.isLeader(), true);
});

test('the manager becomes leader again after stop is refused and loads stored groups', async () => {
  const store = new MemoryStore();
  const first = await leaderManagerOn(store);
  await first.client.apply(sampleSpec('web', 3));
  await first.manager.stop();
  const second = await leaderManagerOn(store);
  await until(() => second.controllers.latest('web') !== undefined);
  assert.equal(second.controllers.latest('web')?.spec.id, 'web');
  const events = await second.client.events();
  assert.ok(events.events.some((e) => e.type === 'leader-changed' && e.groupId === 'web'));
});

async function leaderManagerOn(store: MemoryStore) {
  const controllers = fakeControllers();
  const manager = await Manager.create({
    name: 'm',
    store: new MemoryStore({ shareWith: store }),
    resolver: fakeResolver(),
    leadership: ({ address }) => new StaticLeadership({ name: 'm', address }),
    listen: { port: 0 },
    createController: controllers.create,
  });
  cleanups.push(() => manager.stop());
  manager.start();
  await until(() => manager.isLeader());
  return {
    manager,
    controllers,
    client: new ManagerClient({ url: manager.address, token: manager.localToken }),
  };
}

test('the API refuses oversized bodies, bad JSON and wrong methods with JSON errors', async () => {
  const { manager } = await leaderManager();
  const authorization = `Bearer ${manager.localToken}`;
  const post = (path: string, body: string) =>
    fetch(`${manager.address}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body,
    });
  const big = await post('/v1/apply', JSON.stringify({ document: 'x'.repeat(2 * 1024 * 1024) }));
  assert.equal(big.status, 413);
  const badJson = await post('/v1/apply', '{"document":');
  assert.equal(badJson.status, 400);
  assert.deepEqual(await badJson.json(), {
    error: { kind: 'invalid_spec', message: 'request body is not valid JSON' },
  });
  const badBody = await post('/v1/groups/web/scale', JSON.stringify({ size: -1 }));
  assert.equal(badBody.status, 400);
  const wrongMethod = await fetch(`${manager.address}/v1/status`, {
    method: 'DELETE',
    headers: { authorization },
  });
  assert.equal(wrongMethod.status, 405);
  const traversal = await fetch(`${manager.address}/v1/groups/..%2F..%2Fetc%2Fpasswd/history`, {
    headers: { authorization },
  });
  assert.equal(traversal.status, 400);
  assert.equal(((await traversal.json()) as { error: { kind: string } }).error.kind, 'invalid_spec');
});

test('status lists summaries without instances; the instances come in pages', async () => {
  const { client, manager } = await leaderManager();
  await client.apply(sampleSpec('web', 5));
  const status = await client.status();
  const web = status.groups.find((g) => g.id === 'web');
  assert.equal(web?.observed, 5);
  assert.equal('instances' in (web ?? {}), false, 'no instance list in the status');
  const view = await client.group('web');
  assert.equal('instances' in (view.status ?? {}), false, 'nor in the group view');
  const first = await client.instances('web', { limit: 2 });
  assert.equal(first.total, 5);
  assert.deepEqual(
    first.instances.map((i) => i.id),
    ['web-0', 'web-1'],
  );
  assert.ok(first.next !== undefined);
  const all = await client.allInstances('web');
  assert.deepEqual(
    all.map((i) => i.id),
    ['web-0', 'web-1', 'web-2', 'web-3', 'web-4'],
  );
  assert.equal((await client.groupStatus('web'))?.instances.length, 5);
  await rejectsKind(client.instances('nope'), 'not_found');
  await rejectsKind(client.instances('web', { limit: 0 }), 'invalid_spec');
  await rejectsKind(client.instances('web', { cursor: '!!' }), 'invalid_spec');
  const raw = await fetch(`${client.url}/v1/groups/web/instances?limit=ten`, {
    headers: { authorization: `Bearer ${manager.localToken}` },
  });
  assert.equal(raw.status, 400);
});

test('an instance is found by its ID in one read, with its group', async () => {
  const { client, manager } = await leaderManager();
  await client.apply(sampleSpec('web', 3));
  await client.apply(sampleSpec('db', 2));
  const found = await client.instance('db-1');
  assert.equal(found.group, 'db');
  assert.equal(found.instance.id, 'db-1');
  await rejectsKind(client.instance('web-9'), 'not_found');
  const raw = await fetch(`${client.url}/v1/instances/web-0`);
  assert.equal(raw.status, 401, 'a viewer token is needed');
  assert.equal((await manager.instance(instanceId('web-2'))).group, 'web');
});

test("a group's write drops that group's cached answers and the status, not the others'", async () => {
  const { client, manager } = await leaderManager();
  await client.apply(`${sampleSpec('a', 1)}${sampleSpec('b', 1).replace('groups:', '')}`);
  const reads = manager.services.reads;
  await client.group('a');
  await client.group('b');
  await client.status();
  assert.equal(reads.size, 3);
  await client.scale('a', 2);
  assert.equal(reads.size, 1, "only b's answer is left");
  assert.equal((await client.group('a')).status?.desired, 2);
});
