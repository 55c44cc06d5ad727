// #10 item 8: a full data directory must not stop healing. The manager's data dir (store, event
// log, audit, tokens) is a small tmpfs the test mounts and fills to the last byte; the manager is
// restarted on it (static leadership, file store), an instance is killed and must be replaced,
// an apply must fail naming ENOSPC, and the stored history must be intact.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import {
  e2eWorkspace,
  eventually,
  liveInstances,
  ManagerProcess,
  type ManagerProcessOptions,
} from '../support/manager.js';

const run = promisify(execFile);
const GROUP = 'full';

const spec = (size: number) => `
groups:
  - id: ${GROUP}
    allocation: { size: ${size} }
    instance: { plugin: process }
    flavor:
      plugin: vanilla
      properties:
        init: ["exec sleep 600"]
    health: { grace: 1s, unhealthyAfter: 2s, maxInFlight: 1 }
`;

let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
let data = '';
let mounted = false;
let skip: string | false = false;

before(async () => {
  workspace = await e2eWorkspace('full-disk');
  data = join(workspace.dir, 'data');
  mkdirSync(data);
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', data]);
    mounted = true;
  } catch (error) {
    const reason = `cannot mount a tmpfs (${String(error).split('\n')[0]}); needs root`;
    if (process.env.CI === 'true') throw new Error(reason);
    skip = reason;
  }
  // The test reads the admin token where ManagerProcess looks for it; the manager writes it on the tmpfs.
  symlinkSync(join(data, 'admin.token'), join(workspace.dir, 'admin.token'));
});

after(async () => {
  await workspace?.cleanup().catch(() => undefined);
  if (mounted) await run('umount', ['-l', data]);
});

/** Writes until the filesystem refuses: not one more byte fits afterwards. */
async function fill(dir: string): Promise<void> {
  const file = await open(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) await file.write(chunk);
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    await file.close().catch(() => undefined);
  }
  // Also the last partial page.
  const last = await open(join(dir, 'filler-tail'), 'w');
  try {
    for (;;) await last.write(Buffer.alloc(1, 1));
  } catch {
    // full
  } finally {
    await last.close().catch(() => undefined);
  }
}

async function converged(manager: ManagerProcess, size: number): Promise<string[] | undefined> {
  const group = (await manager.client.status()).groups.find((g) => g.id === GROUP);
  const live = liveInstances(workspace.stateDir, GROUP);
  if (group?.phase !== 'converged' || group.observed !== size || live.length !== size) return undefined;
  return live.map((i) => i.id).sort();
}

test('a full data dir: the manager still leads and heals; apply fails naming ENOSPC; history intact', {
  timeout: 600_000,
}, async (t) => {
  if (skip !== false) {
    t.skip(skip);
    return;
  }
  const options: ManagerProcessOptions = {
    name: 'solo',
    dir: workspace.dir,
    stateDir: workspace.stateDir,
    storeDir: join(data, 'store'),
    tickIntervalMs: 200,
    env: { TEND_HOME: data },
  };
  let manager = await ManagerProcess.start(options);
  workspace.managers.push(manager);
  await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
  await manager.client.apply(spec(3), { reason: 'e2e' });
  const before = await eventually('three instances', () => converged(manager, 3));
  const history = (await manager.client.history(GROUP)).revisions;

  await fill(data);
  // A manager (re)starting on the full disk: its static term must begin and go on.
  manager.signal('SIGKILL');
  await manager.exited;
  manager = await ManagerProcess.start(options);
  workspace.managers.push(manager);
  assert.deepEqual(
    await eventually('the restarted manager to see the group', () => converged(manager, 3)),
    before,
  );

  const victim = liveInstances(workspace.stateDir, GROUP)[0];
  assert.ok(victim);
  process.kill(-victim.pid, 'SIGKILL');
  const healed = await eventually('the killed instance to be replaced', async () => {
    const ids = await converged(manager, 3);
    return ids !== undefined && !ids.includes(victim.id) ? ids : undefined;
  });
  assert.equal(healed.length, 3);
  assert.equal(liveInstances(workspace.stateDir, GROUP).length, 3, 'real processes: exactly the size');

  await assert.rejects(manager.client.apply(spec(4), { reason: 'e2e' }), (error: unknown) => {
    assert.match(String((error as Error).message), /ENOSPC|no space left/i);
    return true;
  });
  assert.deepEqual((await manager.client.history(GROUP)).revisions, history, 'history intact');
  assert.equal((await converged(manager, 3))?.length, 3, 'still the stored size');
});
