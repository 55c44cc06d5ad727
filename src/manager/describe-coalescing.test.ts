import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerClient } from '../api/index.js';
import { StaticLeadership } from '../leadership/index.js';
import { MemoryStore } from '../store/index.js';
import { Manager } from './manager.js';
import { fakeResolver } from './testing/manager-fixtures.js';

const groups = (n: number) =>
  `groups:\n${Array.from(
    { length: n },
    (_, i) => `  - id: g${i}
    allocation: { size: 0 }
    instance: { plugin: fake }
    flavor: { plugin: plain }
`,
  ).join('')}`;

test('groups on one plugin share describe calls; the counts are in /metrics', async () => {
  const base = fakeResolver();
  let pluginDescribes = 0;
  const plugin = await base.instance('fake');
  const counting = {
    ...plugin,
    describeInstances: (...args: Parameters<typeof plugin.describeInstances>) => {
      pluginDescribes += 1;
      return plugin.describeInstances(...args);
    },
  };
  const manager = await Manager.create({
    name: 'm1',
    store: new MemoryStore(),
    resolver: { ...base, instance: async () => counting },
    leadership: ({ address }) => new StaticLeadership({ name: 'm1', address }),
    listen: { port: 0 },
    defaultAuthor: 'test',
    tickIntervalMs: 100,
    // One window as long as a tick: every round of the 30 groups is one call.
    describeWindowMs: 100,
  });
  try {
    manager.start();
    for (let i = 0; i < 2000 && !manager.isLeader(); i++) await sleep(5);
    const client = new ManagerClient({ url: manager.address, token: manager.localToken });
    await client.apply(groups(30));
    // A hang guard, not a timing assertion: wait for 5 rounds' worth of group describes.
    for (let i = 0; i < 4000 && (manager.describeStats().fake?.requests ?? 0) < 150; i++) await sleep(5);
    const stats = manager.describeStats().fake;
    assert.ok(stats !== undefined && stats.requests >= 150, JSON.stringify(stats));
    assert.ok(
      stats.calls * 5 <= stats.requests,
      `at least 5 groups per call on average: ${JSON.stringify(stats)}`,
    );
    assert.equal(pluginDescribes, stats.calls, 'every merged call is one plugin describe');
    const text = await (await fetch(`${manager.address}/metrics`)).text();
    assert.match(text, /^tend_plugin_describe_calls_total\{plugin="fake"\} \d+$/m);
    assert.match(text, /^tend_plugin_describe_requests_total\{plugin="fake"\} \d+$/m);
  } finally {
    await manager.stop();
  }
});
