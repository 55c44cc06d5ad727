import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StaticLeadership } from '../leadership/index.js';
import { connectGroupPlugin, connectPlugin, pluginSocketPath } from '../rpc/index.js';
import { groupId, instanceId, TendError } from '../spi/index.js';
import { MemoryStore } from '../store/index.js';
import { Manager } from './manager.js';
import { fakeControllers, fakeResolver, ManualLeadership } from './testing/manager-fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface SocketManagerOptions {
  name: string;
  store?: MemoryStore;
  standby?: boolean;
  controllers?: ReturnType<typeof fakeControllers>;
}

/** A started manager serving its Group socket in a fresh directory; both are cleaned up after. */
async function startSocketManager(options: SocketManagerOptions): Promise<{ manager: Manager; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tend-group-socket-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const { name } = options;
  const manager = await Manager.create({
    name,
    store: options.store ?? new MemoryStore(),
    resolver: fakeResolver(),
    leadership: ({ address }) =>
      options.standby ? new ManualLeadership({ name, address }) : new StaticLeadership({ name, address }),
    listen: { port: 0 },
    groupSocket: { dir },
    createController: (options.controllers ?? fakeControllers()).create,
  });
  cleanups.push(() => manager.stop());
  manager.start();
  return { manager, dir };
}

/** A store holding one group, `web`, as a leader left it. */
async function storeWithWeb(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.commit({
    groupId: groupId('web'),
    spec: { id: 'web', allocation: { size: 1 }, instance: { plugin: 'fake' }, flavor: { plugin: 'plain' } },
    author: 'test',
    reason: 'seed',
    expectedRevision: 0,
  });
  return store;
}

test("InfraKit's Group.* on the manager's socket drives the same groups as the HTTP API", async () => {
  const controllers = fakeControllers();
  const { manager, dir } = await startSocketManager({ name: 'm1', controllers });
  for (let i = 0; i < 2000 && !manager.isLeader(); i++) await sleep(5);

  const group = await connectGroupPlugin({ name: 'group', dir });
  cleanups.push(() => group.close());
  const properties = {
    Allocation: { Size: 2 },
    Instance: { Plugin: 'fake', Properties: { image: 'a' } },
    Flavor: { Plugin: 'plain', Properties: {} },
  };
  const pretend = await group.commitGroup({ id: 'web', properties }, true);
  assert.match(pretend, /web: would create/);
  assert.deepEqual(await group.inspectGroups(), []);

  assert.match(await group.commitGroup({ id: 'web', properties }, false), /web: created/);
  const [inspected] = await group.inspectGroups();
  assert.equal(inspected?.id, 'web');
  assert.equal(await group.size(groupId('web')), 2);
  await group.setSize(groupId('web'), 4);
  assert.equal(await group.size(groupId('web')), 4);
  const described = await group.describeGroup(groupId('web'));
  assert.equal(described.converged, true);
  assert.equal(described.instances.length, 4);
  await group.destroyInstances(groupId('web'), [instanceId('web-0')]);
  assert.equal(await group.size(groupId('web')), 3);
  await group.destroyGroup(groupId('web'));
  assert.deepEqual(await group.inspectGroups(), []);
  const audited = (await manager.services.audit.recent(10)).filter((e) => e.who === 'group-socket');
  assert.deepEqual(
    audited.map((e) => `${e.what} ${e.group} ${e.result}`),
    [
      'Group.CommitGroup web ok',
      'Group.SetSize web ok',
      'Group.DestroyInstances web ok',
      'Group.DestroyGroup web ok',
    ],
  );
});

test("a standby's Group socket answers reads from the store and refuses writes with not_leader", async () => {
  const store = await storeWithWeb();
  const { dir } = await startSocketManager({ name: 'm2', store, standby: true });
  const group = await connectGroupPlugin({ name: 'group', dir });
  cleanups.push(() => group.close());
  assert.deepEqual(
    (await group.inspectGroups()).map((g) => g.id),
    ['web'],
  );
  await assert.rejects(group.setSize(groupId('web'), 3), (error: unknown) =>
    TendError.is(error, 'not_leader'),
  );
  await assert.rejects(group.describeGroup(groupId('web')), /no leader is running group web/);
});

test('a 20,000-call batch on the Group socket is refused whole, and the socket keeps serving', async () => {
  const { dir } = await startSocketManager({ name: 'm3' });
  const batch = Array.from({ length: 20_000 }, (_, id) => ({
    jsonrpc: '2.0',
    method: 'Group.InspectGroups',
    params: {},
    id,
  }));
  const body = JSON.stringify(batch);
  const answer = await new Promise<string>((resolve, reject) => {
    const req = request({ socketPath: pluginSocketPath(dir, 'group'), method: 'POST', path: '/' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.setHeader('Content-Type', 'application/json');
    req.end(body);
  });
  const parsed = JSON.parse(answer) as { error?: { code: number; message: string } };
  assert.equal(parsed.error?.code, -32600, answer.slice(0, 200));
  assert.match(parsed.error?.message ?? '', /batch of 20000 calls exceeds the limit of 100/);
  const group = await connectGroupPlugin({ name: 'group', dir });
  cleanups.push(() => group.close());
  assert.deepEqual(await group.inspectGroups(), []);
});

test("the socket answers InfraKit's Manager.IsLeader and serves the groups as Metadata", async () => {
  const { manager, dir } = await startSocketManager({ name: 'm4' });
  for (let i = 0; i < 2000 && !manager.isLeader(); i++) await sleep(5);
  const connected = await connectPlugin({ name: 'group', dir });
  cleanups.push(async () => connected.client.close());
  const call = (method: string, params: unknown) => connected.client.call(method, params);
  assert.deepEqual(
    connected.apis.map((api) => `${api.name}/${api.version}`),
    ['Group/0.1.0', 'Group/0.1.1', 'Manager/0.1.0', 'Metadata/0.1.0', 'Updatable/0.1.0'],
  );
  assert.deepEqual(await call('Manager.IsLeader', {}), { Leader: true });
  const properties = {
    Allocation: { Size: 2 },
    Instance: { Plugin: 'fake', Properties: { image: 'a' } },
    Flavor: { Plugin: 'plain', Properties: {} },
  };
  await call('Group.CommitGroup', { Spec: { ID: 'web', Properties: properties }, Pretend: false });
  assert.deepEqual(await call('Metadata.List', { Path: [] }), {
    Nodes: ['configs', 'groups', 'leader', 'specs'],
  });
  assert.deepEqual(await call('Metadata.List', { Path: ['specs'] }), { Nodes: ['web'] });
  assert.deepEqual(await call('Metadata.Get', { Path: ['specs', 'web', 'Properties', 'Allocation'] }), {
    Value: { Size: 2 },
  });
  assert.deepEqual(await call('Metadata.Get', { Path: ['configs', 'Groups', 'web', 'Plugin'] }), {
    Value: 'group',
  });
  assert.deepEqual(await call('Metadata.Get', { Path: ['leader'] }), { Value: true });
  let described: { Value: { Instances?: unknown[]; Desired?: number; Observed?: number } | null } = {
    Value: null,
  };
  for (let i = 0; i < 2000 && described.Value?.Observed !== 2; i++) {
    described = (await call('Metadata.Get', { Path: ['groups', 'web'] })) as typeof described;
    if (described.Value?.Observed !== 2) await sleep(5);
  }
  assert.equal(described.Value?.Desired, 2);
  assert.equal(described.Value?.Instances?.length, 2);
  assert.deepEqual(await call('Metadata.List', { Path: ['groups', 'web', 'Instances'] }), {
    Nodes: ['[0]', '[1]'],
  });
  assert.deepEqual(await call('Metadata.List', { Path: ['specs', 'db'] }), { Nodes: null });
});

test("a standby's socket says it does not lead and describes no group", async () => {
  const store = await storeWithWeb();
  const { dir } = await startSocketManager({ name: 'm5', store, standby: true });
  const connected = await connectPlugin({ name: 'group', dir });
  cleanups.push(async () => connected.client.close());
  assert.deepEqual(await connected.client.call('Manager.IsLeader', {}), { Leader: false });
  assert.deepEqual(await connected.client.call('Metadata.List', { Path: ['specs'] }), { Nodes: ['web'] });
  assert.deepEqual(await connected.client.call('Metadata.List', { Path: ['groups'] }), { Nodes: [] });
  assert.deepEqual(await connected.client.call('Metadata.Get', { Path: ['leader'] }), { Value: false });
});
