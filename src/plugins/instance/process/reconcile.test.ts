// What a manager killed between two steps of a provision leaves behind, made by hand with real
// processes: an intent whose process runs, an intent whose spawn never happened, a process no
// file names — and a process of another state dir, which must be left alone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { type InstanceEvent, TAG_GROUP, TAG_OP } from '../../../spi/index.js';
import { createProcessPlugin } from './index.js';
import { isProcessAlive, processStartTime } from './proc-stat.js';

const root = await mkdtemp(join(tmpdir(), 'tend-process-reconcile-'));
const started: number[] = [];
after(async () => {
  for (const pid of started) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(root, { recursive: true, force: true });
});

/** A detached `sh` carrying an instance's environment, as the plugin would have spawned it. */
function spawnLike(id: string, stateDirId: string): number {
  const child = spawn('/bin/sh', ['-c', 'while true; do sleep 1; done'], {
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env.PATH ?? '/bin', TEND_INSTANCE_ID: id, TEND_STATE_DIR_ID: stateDirId },
  });
  child.unref();
  assert.ok(child.pid);
  started.push(child.pid);
  return child.pid;
}

async function envOf(pid: number): Promise<Record<string, string>> {
  const raw = await readFile(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    raw.split('\0').flatMap((kv) => (kv.includes('=') ? [kv.split(/=(.*)/s, 2)] : [])),
  );
}

async function gone(pid: number): Promise<void> {
  const startTime = await processStartTime(pid);
  while (await isProcessAlive(pid, startTime)) await new Promise((r) => setTimeout(r, 20));
}

const intent = (id: string, op: string, intendedAt: number) => ({
  version: 1,
  id,
  tags: { [TAG_GROUP]: 'g', [TAG_OP]: op },
  init: 'while true; do sleep 1; done',
  createdAt: new Date(intendedAt).toISOString(),
  intendedAt,
});

it('adopts an intent with a live process, drops one without, reaps the unnamed, spares strangers', {
  timeout: 60_000,
}, async () => {
  const stateDir = join(root, 'state');
  const first = createProcessPlugin({ stateDir });
  const known = await first.provision({
    tags: { [TAG_GROUP]: 'g', [TAG_OP]: 'op-known' },
    init: 'exec sleep 300',
    attachments: [],
  });
  const [knownState] = await first.describeInstances({}, { properties: true });
  const knownPid = (knownState?.properties as { pid?: number } | undefined)?.pid ?? 0;
  started.push(knownPid);
  const marker = (await envOf(knownPid)).TEND_STATE_DIR_ID;
  assert.match(marker ?? '', /^[0-9a-f]{16}$/);
  await first.close();

  // Killed after the spawn, before the state file: intent + live process.
  const adoptedId = 'proc-00000000000000a1';
  const adoptedPid = spawnLike(adoptedId, marker ?? '');
  await writeFile(
    join(stateDir, `${adoptedId}.intent.json`),
    JSON.stringify(intent(adoptedId, 'op-1', Date.now())),
  );
  // Killed after the intent, before the spawn: an intent and nothing else.
  const droppedId = 'proc-00000000000000b2';
  await writeFile(
    join(stateDir, `${droppedId}.intent.json`),
    JSON.stringify(intent(droppedId, 'op-2', Date.now() - 60_000)),
  );
  // A process no file names (its intent already dropped, its state file lost).
  const orphanId = 'proc-00000000000000c3';
  const orphanPid = spawnLike(orphanId, marker ?? '');
  // Another plugin's instance on the same machine: same variable, another state dir.
  const strangerPid = spawnLike('proc-00000000000000d4', '0123456789abcdef');

  const second = createProcessPlugin({ stateDir, pollIntervalMs: 50 });
  const events: InstanceEvent[] = [];
  const stop = second.watch((e) => events.push(e));
  try {
    const seen = await second.describeInstances({ [TAG_GROUP]: 'g' }, { properties: true });
    assert.deepEqual(seen.map((d) => d.id).sort(), [known, adoptedId].sort());
    const adopted = seen.find((d) => d.id === adoptedId);
    assert.equal((adopted?.properties as { pid?: number } | undefined)?.pid, adoptedPid);
    assert.deepEqual(adopted?.tags, { [TAG_GROUP]: 'g', [TAG_OP]: 'op-1' });
    // A retry of the crashed provision gets the adopted instance back, not a second one.
    assert.equal(
      await second.provision({
        tags: { [TAG_GROUP]: 'g', [TAG_OP]: 'op-1' },
        init: 'exec sleep 300',
        attachments: [],
      }),
      adoptedId,
    );
    await gone(orphanPid);
    assert.ok(events.some((e) => e.type === 'gone' && e.id === orphanId));
    assert.ok(await isProcessAlive(strangerPid, await processStartTime(strangerPid)), 'stranger left alone');
    const names = await readdir(stateDir);
    assert.ok(!names.some((n) => n.endsWith('.intent.json')), names.join(' '));
    assert.ok(names.includes(`${adoptedId}.json`));
  } finally {
    stop();
    await second.close();
  }
});

// Fault campaign seed 41: `{"version":2}` written over a state file was taken for a newer Tend's
// record and left alone, so its process ran on, counted by nobody (3 live for a size of 2).
it('reaps the process of a state file that only claims a newer version; spares a real newer record', {
  timeout: 60_000,
}, async () => {
  const stateDir = join(root, 'garbage-version');
  const plugin = createProcessPlugin({ stateDir });
  try {
    const victim = await plugin.provision({
      tags: { [TAG_GROUP]: 'g' },
      init: 'exec sleep 300',
      attachments: [],
    });
    const kept = await plugin.provision({
      tags: { [TAG_GROUP]: 'g' },
      init: 'exec sleep 300',
      attachments: [],
    });
    const pids = new Map(
      (await plugin.describeInstances({}, { properties: true })).map((d) => [
        d.id,
        (d.properties as { pid: number }).pid,
      ]),
    );
    for (const pid of pids.values()) started.push(pid);
    await writeFile(join(stateDir, `${victim}.json`), '{"version":2}');
    const newer = JSON.parse(await readFile(join(stateDir, `${kept}.json`), 'utf8'));
    await writeFile(join(stateDir, `${kept}.json`), JSON.stringify({ ...newer, version: 2 }));
    assert.deepEqual(await plugin.describeInstances({}), [], 'neither is a valid version-1 record');
    const victimPid = pids.get(victim) ?? 0;
    const startTime = await processStartTime(victimPid);
    for (let i = 0; i < 300 && (await isProcessAlive(victimPid, startTime)); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(!(await isProcessAlive(victimPid, startTime)), 'the process of the garbage file was reaped');
    const keptPid = pids.get(kept) ?? 0;
    assert.ok(
      await isProcessAlive(keptPid, await processStartTime(keptPid)),
      'the newer record’s process runs on',
    );
    assert.ok((await readdir(stateDir)).includes(`${victim}.json.damaged`), 'the garbage is kept aside');
  } finally {
    await plugin.close();
  }
});

// Fault campaign seed 41: a state file damaged, then its group destroyed. The destroy found no
// record and succeeded while the process ran on until the next scan of /proc.
it('a destroy of an instance whose state file is damaged kills its process', {
  timeout: 60_000,
}, async () => {
  const stateDir = join(root, 'damaged-destroy');
  // No scan of its own meanwhile: only the destroy can find the process.
  const plugin = createProcessPlugin({ stateDir, orphanScanIntervalMs: 3_600_000 });
  try {
    const id = await plugin.provision({
      tags: { [TAG_GROUP]: 'g' },
      init: 'exec sleep 300',
      attachments: [],
    });
    const [described] = await plugin.describeInstances({}, { properties: true });
    const pid = (described?.properties as { pid?: number } | undefined)?.pid ?? 0;
    started.push(pid);
    await writeFile(join(stateDir, `${id}.json`), '{"version":1,"id":');
    await plugin.destroy(id, { reason: 'group destroyed' });
    await gone(pid);
    assert.ok((await readdir(stateDir)).includes(`${id}.json.damaged`), 'the garbage is kept aside');
  } finally {
    await plugin.close();
  }
});
