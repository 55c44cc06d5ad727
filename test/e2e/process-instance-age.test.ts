// Issue #10 failure 15: an instance's age must not reset when its manager restarts. A real
// manager runs a group on the `process` plugin; it is killed with kill -9 and a new one started
// on the same store and state dir: every instance keeps the `createdAt` it had, and that is the
// process's own start time as the kernel reports it (/proc/<pid>/stat + boot time).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { e2eWorkspace, eventually, liveInstances, ManagerProcess } from '../support/manager.js';

const spec = `
groups:
  - id: aging
    allocation: { size: 2 }
    instance: { plugin: process }
    flavor: { plugin: vanilla, properties: { init: ['while true; do sleep 1; done'] } }
    health: { grace: 1s, unhealthyAfter: 2s }
`;

let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
const start = (name: string) =>
  ManagerProcess.start({ name, dir: workspace.dir, stateDir: workspace.stateDir, tickIntervalMs: 200 });

before(async () => {
  workspace = await e2eWorkspace('process-instance-age');
});
after(async () => {
  await workspace.cleanup();
});

async function ages(manager: ManagerProcess): Promise<Map<string, number | undefined> | undefined> {
  const found = (await manager.client.status()).groups.some((g) => g.id === 'aging');
  const group = found ? await manager.client.groupStatus('aging') : undefined;
  if (group?.phase !== 'converged' || group.instances.length !== 2) return undefined;
  return new Map(group.instances.map((i) => [i.id, i.createdAt]));
}

/** The kernel's start time of `pid` in ms since the epoch, read here independently of Tend. */
function kernelStartMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  return btime * 1000 + (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

test('createdAt survives a kill -9 and restart of the manager', { timeout: 180_000 }, async () => {
  const first = await start('first');
  workspace.managers.push(first);
  await eventually('the manager to lead', async () => ((await first.isLeader()) ? true : undefined));
  await first.client.apply(spec, { reason: 'e2e' });
  const before = await eventually('2 instances', () => ages(first));
  for (const instance of liveInstances(workspace.stateDir, 'aging')) {
    const reported = before.get(instance.id);
    assert.ok(reported !== undefined, `${instance.id} in status`);
    // Same clock reading, two readers: equal up to the tick (10 ms) and rounding.
    assert.ok(
      Math.abs(reported - kernelStartMs(instance.pid)) <= 20,
      `${reported} vs the kernel's ${kernelStartMs(instance.pid)}`,
    );
  }

  first.signal('SIGKILL');
  await first.exited;
  const second = await start('second');
  workspace.managers.push(second);
  const afterRestart = await eventually('the same 2 instances', async () => {
    const now = await ages(second);
    return now !== undefined && [...now.keys()].every((id) => before.has(id)) ? now : undefined;
  });
  assert.deepEqual(afterRestart, before);
});
