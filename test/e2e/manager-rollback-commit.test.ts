// An automatic rollback is history too (issue #10, item 14): a rollout whose processes crash
// rolls back, and the manager commits the spec it went back to as a new revision (author `tend`,
// the failure as reason), exactly as `tend rollout undo` would. A later `scale` builds on it and
// does not bring the crashing spec back.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BuiltinPluginResolver } from '../../src/cli/builtin-plugins.js';
import { StaticLeadership } from '../../src/leadership/index.js';
import { Manager } from '../../src/manager/index.js';
import { groupId } from '../../src/spi/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { eventually, killAllInstances } from '../support/manager.js';

const dir = await mkdtemp(join(tmpdir(), 'tend-rollback-commit-'));
const stateDir = join(dir, 'instances');
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  killAllInstances(stateDir);
  await rm(dir, { recursive: true, force: true });
});

const spec = (init: string) => `
id: web
allocation: { size: 2 }
instance: { plugin: process }
flavor: { plugin: vanilla, properties: { init: [${JSON.stringify(init)}] } }
health: { grace: 1s, unhealthyAfter: 1s }
update: { healthyFor: 300ms, timeout: 3s, onFailure: rollback }
`;

test('a rollback commits the previous spec as a new revision by tend; scale keeps it', {
  timeout: 300_000,
}, async () => {
  const resolver = new BuiltinPluginResolver({ stateDir, pluginDir: join(dir, 'plugins') });
  const manager = await Manager.create({
    name: 'm1',
    store: new MemoryStore(),
    resolver,
    leadership: ({ address }) => new StaticLeadership({ name: 'm1', address }),
    listen: { port: 0 },
    tickIntervalMs: 200,
    defaultAuthor: 'ann',
  });
  cleanups.push(async () => {
    await manager.stop();
    await resolver.close();
  });
  manager.start();
  await eventually('leadership', () => (manager.isLeader() ? true : undefined));
  const web = groupId('web');

  await manager.apply(spec('exec sleep 600'), { reason: 'good' });
  await eventually('two ready instances', async () => {
    const status = (await manager.group(web)).status;
    return status?.phase === 'converged' ? true : undefined;
  });

  await manager.apply(spec('exit 1'), { reason: 'bad' });
  await eventually('the rollback', () =>
    manager.recentEvents().some((e) => e.type === 'rollout-rollback') ? true : undefined,
  );
  const history = await eventually('the rollback commit', async () => {
    const { revisions } = await manager.history(web);
    return revisions.length >= 3 ? revisions : undefined;
  });
  const [good, bad, restored] = history;
  assert.equal(good?.reason, 'good');
  assert.equal(bad?.reason, 'bad');
  assert.deepEqual(restored?.spec, good?.spec, 'the new revision is the previous spec');
  assert.equal(restored?.author, 'tend');
  assert.match(
    restored?.reason ?? '',
    /^automatic rollback: rollout to \S+ timed out after 3000 ms; back to revision 1$/,
  );
  assert.equal((await manager.group(web)).revision.revision, 3, 'the stored spec is what runs');

  await manager.scale(web, 3, { reason: 'more' });
  const after = (await manager.history(web)).revisions.at(-1);
  assert.equal(after?.revision, 4);
  assert.deepEqual(after?.spec, { ...(good?.spec as object), allocation: { size: 3 } });
  await eventually('three good instances', async () => {
    const status = (await manager.group(web)).status;
    return status?.phase === 'converged' && status.instances.length === 3 ? true : undefined;
  });
});
