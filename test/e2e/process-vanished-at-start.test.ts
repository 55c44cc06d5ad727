// Issue #12: an instance killed while no manager ran used to show only its replacement's
// `created` afterwards. A real manager runs a group on the `process` plugin and is killed with
// kill -9; one instance is killed too; the manager started again on the same store reports that
// instance `vanished` (once) before its replacement's `created`, as `tend events` shows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { SequencedEvent } from '../../src/api/index.js';
import {
  e2eWorkspace,
  eventually,
  isAlive,
  liveInstances,
  ManagerProcess,
  runCli,
} from '../support/manager.js';

const spec = `
groups:
  - id: lost
    allocation: { size: 2 }
    instance: { plugin: process }
    flavor: { plugin: vanilla, properties: { init: ['while true; do sleep 1; done'] } }
    health: { grace: 1s, unhealthyAfter: 2s }
`;

let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
const start = async () => {
  const manager = await ManagerProcess.start({
    name: 'solo',
    dir: workspace.dir,
    stateDir: workspace.stateDir,
    tickIntervalMs: 200,
  });
  workspace.managers.push(manager);
  await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
  return manager;
};

before(async () => {
  workspace = await e2eWorkspace('process-vanished');
});
after(async () => {
  await workspace.cleanup();
});

/** The group's journal as the file store keeps it: which instances its last look listed. */
function storedListed(): string[] {
  try {
    const file = join(workspace.dir, 'store', 'state', 'lost.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { state: { listed?: string[] } }).state.listed ?? [];
  } catch {
    return [];
  }
}

async function events(manager: ManagerProcess): Promise<SequencedEvent[]> {
  const env = { TEND_MANAGER: manager.url, TEND_TOKEN: manager.token };
  const result = await runCli(['-o', 'json', 'events', '--group', 'lost', '--limit', '500'], env);
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { events: SequencedEvent[] }).events;
}

test('an instance killed while no manager ran is vanished at the next start', {
  timeout: 240_000,
}, async () => {
  const first = await start();
  await first.client.apply(spec, { reason: 'e2e' });
  const instances = await eventually('2 instances in the journal', () => {
    const live = liveInstances(workspace.stateDir, 'lost');
    const listed = storedListed();
    const all = live.length === 2 && live.every((i) => listed.includes(i.id));
    return all ? live : undefined;
  });
  first.signal('SIGKILL');
  await first.exited;
  const [victim, survivor] = instances;
  assert.ok(victim !== undefined && survivor !== undefined);
  process.kill(-victim.pid, 'SIGKILL');
  await eventually('the instance to die', () => (isAlive(victim.pid) ? undefined : true));

  const second = await start();
  const replacement = await eventually('a replacement', () => {
    const live = liveInstances(workspace.stateDir, 'lost');
    return live.length === 2 && !live.some((i) => i.id === victim.id)
      ? live.find((i) => i.id !== survivor.id)
      : undefined;
  });
  const log = await eventually('the replacement in the event log', async () => {
    const all = await events(second);
    return all.some((e) => e.type === 'created' && e.instanceId === replacement.id) ? all : undefined;
  });
  const vanished = log.filter((e) => e.type === 'vanished');
  assert.deepEqual(
    vanished.map((e) => [e.instanceId, e.data?.unwatched]),
    [[victim.id, true]],
  );
  const created = log.find((e) => e.type === 'created' && e.instanceId === replacement.id);
  assert.ok(created !== undefined && (vanished[0]?.seq ?? 0) < created.seq, 'vanished before created');
  const table = await runCli(['events', '--group', 'lost'], {
    TEND_MANAGER: second.url,
    TEND_TOKEN: second.token,
  });
  assert.match(table.stdout, new RegExp(`vanished\\s+lost/${victim.id}\\s+instance ${victim.id} went while`));

  // Reported once: a later start that finds the same instances says nothing more.
  await second.stop();
  const third = await start();
  await eventually('a tick of the third start', async () => {
    const group = (await third.client.status()).groups.find((g) => g.id === 'lost');
    return group?.phase === 'converged' && group.lastTickAt !== undefined ? true : undefined;
  });
  const later = (await events(third)).filter((e) => e.type === 'vanished');
  assert.equal(later.length, 1, JSON.stringify(later));
});
