import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StaticLeadership } from '../leadership/index.js';
import { connectGroupPlugin } from '../rpc/index.js';
import { groupId, instanceId } from '../spi/index.js';
import { MemoryStore } from '../store/index.js';
import { Manager } from './manager.js';
import { fakeControllers, fakeResolver } from './manager-fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test("InfraKit's Group.* on the manager's socket drives the same groups as the HTTP API", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tend-group-socket-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const controllers = fakeControllers();
  const manager = await Manager.create({
    name: 'm1',
    store: new MemoryStore(),
    resolver: fakeResolver(),
    leadership: ({ address }) => new StaticLeadership({ name: 'm1', address }),
    listen: { port: 0 },
    groupSocket: { dir },
    createController: controllers.create,
  });
  cleanups.push(() => manager.stop());
  manager.start();
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
});
