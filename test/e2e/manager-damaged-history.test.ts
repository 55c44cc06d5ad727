// Issue #10 failures 3 and 4: one group's history file torn or emptied by hand must mark only
// that group damaged (status, event, metric, commits refused) while every other group keeps
// running and healing — checked on real processes through the plugin's state dir.
import assert from 'node:assert/strict';
import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TendError } from '../../src/spi/index.js';
import { e2eWorkspace, eventually, liveInstances, ManagerProcess } from '../support/manager.js';

const group = (id: string, size: number) => `
  - id: ${id}
    allocation: { size: ${size} }
    instance: { plugin: process }
    flavor: { plugin: vanilla, properties: { init: ['while true; do sleep 1; done'] } }
    health: { grace: 1s, unhealthyAfter: 2s }
`;
const specs = `groups:\n${group('web', 2)}${group('torn', 1)}${group('empty', 1)}`;

let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
let manager: ManagerProcess;
const start = (name: string) =>
  ManagerProcess.start({ name, dir: workspace.dir, stateDir: workspace.stateDir, tickIntervalMs: 200 });

before(async () => {
  workspace = await e2eWorkspace('manager-damaged-history');
  manager = await start('first');
  workspace.managers.push(manager);
});
after(async () => {
  await workspace.cleanup();
});

async function webConverged(): Promise<true | undefined> {
  const web = (await manager.client.status()).groups.find((g) => g.id === 'web');
  const live = liveInstances(workspace.stateDir, 'web').length;
  return web?.phase === 'converged' && web.healthy === 2 && live === 2 ? true : undefined;
}

test('a torn and an empty history mark only their groups damaged; the others heal', {
  timeout: 180_000,
}, async () => {
  await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
  await manager.client.apply(specs, { reason: 'e2e' });
  await eventually('web converged', webConverged);
  await eventually('the other groups running', () =>
    liveInstances(workspace.stateDir, 'torn').length === 1 &&
    liveInstances(workspace.stateDir, 'empty').length === 1
      ? true
      : undefined,
  );

  // Damage from outside while the manager runs, then a crash and a restart must read it.
  const groups = join(workspace.dir, 'store', 'groups');
  const emptyBefore = await readFile(join(groups, 'empty.jsonl'), 'utf8');
  // Cut inside the last committed line: damage from outside. (Bytes past the last commit with no
  // newline would be an append that never finished, which the store ignores and repairs.)
  const torn = join(groups, 'torn.jsonl');
  await truncate(torn, (await stat(torn)).size - 5);
  await writeFile(join(groups, 'empty.jsonl'), '');
  manager.signal('SIGKILL');
  await manager.exited;
  manager = await start('second');
  workspace.managers.push(manager);
  await eventually('the restarted manager to lead', async () =>
    (await manager.isLeader()) ? true : undefined,
  );

  const status = await eventually('both damaged groups reported', async () => {
    const view = await manager.client.status();
    return view.groups.filter((g) => g.phase === 'damaged').length === 2 ? view : undefined;
  });
  const byId = new Map(status.groups.map((g) => [String(g.id), g]));
  assert.match(byId.get('torn')?.lastError ?? '', /torn\.jsonl line 1: cut short/);
  assert.match(byId.get('empty')?.lastError ?? '', /empty\.jsonl line 1: the file is empty/);
  const events = (await manager.client.events(0, 500)).events.filter((e) => e.type === 'damaged');
  assert.deepEqual(events.map((e) => e.groupId).sort(), ['empty', 'torn']);
  const metrics = await (
    await fetch(`${manager.url}/metrics`, { headers: { authorization: `Bearer ${manager.token}` } })
  ).text();
  assert.match(metrics, /tend_group_damaged\{group="torn"\} 1/);
  assert.match(metrics, /tend_group_damaged\{group="web"\} 0/);

  await assert.rejects(manager.client.scale('torn', 3), (error: unknown) => {
    assert.ok(TendError.is(error), String(error));
    assert.match(error.message, /torn\.jsonl.*cannot be read or committed/);
    return true;
  });

  // The healthy group still heals: a killed instance is replaced.
  await eventually('web converged after the restart', webConverged);
  const [victim] = liveInstances(workspace.stateDir, 'web');
  assert.ok(victim);
  process.kill(-victim.pid, 'SIGKILL');
  await eventually('the killed web instance replaced', async () => {
    const ids = liveInstances(workspace.stateDir, 'web').map((i) => i.id);
    return ids.includes(victim.id) ? undefined : webConverged();
  });

  // Repairing the file by hand brings the group back without a restart.
  await writeFile(join(groups, 'empty.jsonl'), emptyBefore);
  await eventually(
    'the repaired group running again',
    async () => {
      const empty = (await manager.client.status()).groups.find((g) => g.id === 'empty');
      return empty !== undefined && empty.phase !== 'damaged' && empty.observed === 1 ? true : undefined;
    },
    { attempts: 600 },
  );
});
