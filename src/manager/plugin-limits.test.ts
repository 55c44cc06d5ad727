import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerClient } from '../api/index.js';
import { StaticLeadership } from '../leadership/index.js';
import { MemoryStore } from '../store/index.js';
import { Manager } from './manager.js';
import { fakeControllers, fakeResolver } from './testing/manager-fixtures.js';

const group = (id: string, plugin: string) => `
  - id: ${id}
    allocation: { size: 1 }
    instance: { plugin: ${plugin} }
    flavor: { plugin: plain }
`;

test('each instance plugin gets its own limits by name; groups on one plugin share its limiter', async () => {
  const controllers = fakeControllers();
  const asked: string[] = [];
  const base = fakeResolver();
  const manager = await Manager.create({
    name: 'm1',
    store: new MemoryStore(),
    // The fake answers to `fake` only; every name here is that one plugin behind another name.
    resolver: { ...base, instance: () => base.instance('fake') },
    leadership: ({ address }) => new StaticLeadership({ name: 'm1', address }),
    listen: { port: 0 },
    createController: controllers.create,
    defaultAuthor: 'test',
    pluginLimits: { ratePerSec: 7, burst: 7, concurrency: 2 },
    pluginLimitsFor: (plugin) => {
      asked.push(plugin);
      return plugin === 'ec2-east'
        ? { ratePerSec: 5, burst: 10, concurrency: 4, pacing: 'cloud' }
        : undefined;
    },
  });
  try {
    manager.start();
    for (let i = 0; i < 2000 && !manager.isLeader(); i++) await sleep(5);
    const client = new ManagerClient({ url: manager.address, token: manager.localToken });
    await client.apply(`groups:${group('a', 'ec2-east')}${group('b', 'ec2-east')}${group('c', 'other')}`);
    const limiter = (id: string) => controllers.latest(id)?.options.limiter;
    assert.equal(limiter('a')?.stats().ratePerSec, 5);
    assert.equal(limiter('a'), limiter('b'));
    // A plugin the function does not answer for keeps the manager-wide default.
    assert.equal(limiter('c')?.stats().ratePerSec, 7);
    assert.deepEqual(asked.sort(), ['ec2-east', 'other']);
    // A cloud kind's groups tick in step, so their describes merge into one call per tick.
    assert.equal(limiter('a')?.pacing, 'cloud');
    assert.equal(controllers.latest('a')?.options.alignTicks, true);
    assert.equal(controllers.latest('c')?.options.alignTicks, false);
  } finally {
    await manager.stop();
  }
});
