import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerClient } from '../api/index.js';
import { StaticLeadership } from '../leadership/index.js';
import { MemoryStore } from '../store/index.js';
import { Manager } from './manager.js';
import { fakeResolver, sampleSpec } from './testing/manager-fixtures.js';

const metric = (text: string, pattern: RegExp) => Number(text.match(pattern)?.[1] ?? 0);

test('metrics come from the controller’s reports and from plugin calls made outside it', async () => {
  const manager = await Manager.create({
    name: 'm1',
    store: new MemoryStore(),
    resolver: fakeResolver(),
    leadership: ({ address }) => new StaticLeadership({ name: 'm1', address }),
    listen: { port: 0 },
    defaultAuthor: 'test',
    tickIntervalMs: 50,
  });
  try {
    manager.start();
    for (let i = 0; i < 2000 && !manager.isLeader(); i++) await sleep(5);
    const client = new ManagerClient({ url: manager.address, token: manager.localToken });
    await client.apply(sampleSpec('web', 1));
    const scrape = async () => (await fetch(`${manager.address}/metrics`)).text();
    const provisions = /^tend_provider_calls_total\{plugin="fake",method="provision",result="ok"\} (\d+)$/m;
    const ticks = /^tend_reconcile_duration_seconds_count\{group="web"\} (\d+)$/m;
    // A hang guard, not a timing assertion: the controller provisions on its first tick.
    let text = await scrape();
    for (let i = 0; i < 2000 && (metric(text, provisions) === 0 || metric(text, ticks) === 0); i++) {
      await sleep(5);
      text = await scrape();
    }
    assert.ok(metric(text, provisions) > 0, 'the controller reported its provision');
    assert.ok(metric(text, ticks) > 0, 'and its look at the group');
    // Validation runs in the manager, not in a controller: counted all the same.
    assert.ok(
      metric(text, /^tend_provider_calls_total\{plugin="fake",method="validate",result="ok"\} (\d+)$/m) > 0,
    );
  } finally {
    await manager.stop();
  }
});
