// #10 item 5: a provision from an older epoch, after a newer epoch acted, must leave nothing behind;
// and a provision whose caller's term ends while its child starts must kill that child.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type InstanceSpec, TendError } from '../../../spi/index.js';
import { createProcessPlugin, type ProcessPlugin } from './index.js';

const guard = { timeout: 60_000 };

/** Live processes whose environment carries TEND_FENCE_TEST=run: the real world, not a state file. */
function processesOf(run: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))) continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`TEND_FENCE_TEST=${run}`))
        pids.push(Number(name));
    } catch {
      // ended while we looked
    }
  }
  return pids;
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function withDir(
  body: (dir: string, run: string, spec: (epoch: number, init?: string) => InstanceSpec) => Promise<void>,
) {
  const dir = await mkdtemp(join(tmpdir(), 'tend-process-fence-'));
  const run = randomBytes(6).toString('hex');
  const spec = (epoch: number, init = 'exec sleep 300'): InstanceSpec => ({
    tags: {
      'tend.group': 'g',
      'tend.op': `op-${epoch}-${randomBytes(3).toString('hex')}`,
      'tend.epoch': String(epoch),
    },
    init,
    attachments: [],
    properties: { env: { TEND_FENCE_TEST: run } },
  });
  try {
    await body(dir, run, spec);
  } finally {
    for (const pid of processesOf(run)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
}

const stateFiles = async (dir: string) => (await readdir(dir)).filter((n) => /^proc-.*\.json$/.test(n));

describe('process plugin: epoch fence', () => {
  it(
    'refuses provision, destroy and label from an older epoch once a newer one acted, across plugin objects and restarts',
    guard,
    () =>
      withDir(async (dir, run, spec) => {
        const oldLeader = createProcessPlugin({ stateDir: dir });
        const newLeader = createProcessPlugin({ stateDir: dir });
        let restarted: ProcessPlugin | undefined;
        try {
          const before = await oldLeader.provision(spec(5));
          const after = await newLeader.provision(spec(6));
          const isFenced = (error: unknown) =>
            TendError.is(error, 'fenced') &&
            /epoch 5 is older than epoch 6/.test(String((error as Error).message));
          await assert.rejects(oldLeader.provision(spec(5)), isFenced);
          await assert.rejects(oldLeader.destroy(after, { reason: 'scale-in' }, { epoch: 5 }), isFenced);
          await assert.rejects(oldLeader.label(before, { x: 'y' }, { epoch: 5 }), isFenced);
          restarted = createProcessPlugin({ stateDir: dir });
          await assert.rejects(restarted.provision(spec(5)), isFenced);
          assert.equal(processesOf(run).length, 2, 'only the two admitted provisions run');
          assert.equal((await stateFiles(dir)).length, 2);
          // Calls without an epoch are not Tend's (an InfraKit CLI): not fenced.
          await newLeader.label(after, { x: 'y' });
          await newLeader.destroy(before, { reason: 'test' }, { epoch: 6 });
          assert.equal(processesOf(run).length, 1);
        } finally {
          await Promise.all([oldLeader.close(), newLeader.close(), restarted?.close()]);
        }
      }),
  );

  // A new leader may reach its size by describing alone (it adopts the paused leader's child from
  // its intent): its describe must raise the fence, or the old provision records itself on waking.
  it('a describe from a newer epoch raises the fence, so the older epoch is refused afterwards', guard, () =>
    withDir(async (dir, run, spec) => {
      const oldLeader = createProcessPlugin({ stateDir: dir });
      const newLeader = createProcessPlugin({ stateDir: dir });
      try {
        const before = await oldLeader.provision(spec(5));
        assert.equal((await newLeader.describeInstances({}, { epoch: 6 })).length, 1);
        assert.equal(JSON.parse(await readFile(join(dir, 'epoch-fence.json'), 'utf8')).epoch, 6);
        const isFenced = (error: unknown) => TendError.is(error, 'fenced');
        await assert.rejects(oldLeader.provision(spec(5)), isFenced);
        await assert.rejects(oldLeader.label(before, { x: 'y' }, { epoch: 5 }), isFenced);
        assert.equal(processesOf(run).length, 1, 'the refused provision started nothing');
        // A look from the older epoch is still answered: it changes nothing of the new leader's.
        assert.equal((await oldLeader.describeInstances({}, { epoch: 5 })).length, 1);
      } finally {
        await Promise.all([oldLeader.close(), newLeader.close()]);
      }
    }),
  );

  // The test holds the fence's lock file (the same link(2) protocol, in this live process's
  // name), so the provision is held exactly between the spawn and the moment it records the
  // instance: the window in which a leader paused past its lease wakes up.
  const lockContent = () =>
    JSON.stringify({
      pid: process.pid,
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      host: 'test',
      token: 'test',
    });

  for (const how of ['the caller aborts (its term ended)', 'a newer epoch acts meanwhile'] as const) {
    it(
      `a provision caught between spawn and record when ${how} kills its child and records nothing`,
      guard,
      () =>
        withDir(async (dir, run, spec) => {
          const plugin = createProcessPlugin({ stateDir: dir });
          try {
            await writeFile(join(dir, 'epoch-fence.lock'), lockContent());
            const term = new AbortController();
            let settledEarly = false;
            const outcome = plugin.provision(spec(5), { signal: term.signal }).then(
              (id) => ({ id }),
              (error: unknown) => ({ error }),
            );
            void outcome.then(() => {
              settledEarly = true;
            });
            await until(() => processesOf(run).length === 1 || settledEarly);
            assert.ok(!settledEarly, 'the provision finished while its record was locked out');
            if (how === 'a newer epoch acts meanwhile')
              await writeFile(join(dir, 'epoch-fence.json'), '{"epoch":6}\n');
            else term.abort(new TendError('not_leader', 'term 5 lost'));
            await unlink(join(dir, 'epoch-fence.lock'));
            const result = await outcome;
            assert.ok('error' in result, `provision returned ${'id' in result ? result.id : ''}`);
            assert.equal(
              (result.error as TendError).kind,
              how === 'a newer epoch acts meanwhile' ? 'fenced' : 'timeout',
            );
            await until(() => processesOf(run).length === 0);
            assert.deepEqual(await stateFiles(dir), [], 'no state written');
            assert.deepEqual(await plugin.describeInstances({}), []);
            assert.equal((await readdir(dir)).filter((n) => n.endsWith('.log')).length, 0, 'no log left');
            if (how === 'a newer epoch acts meanwhile')
              assert.equal(JSON.parse(await readFile(join(dir, 'epoch-fence.json'), 'utf8')).epoch, 6);
          } finally {
            await plugin.close();
          }
        }),
    );
  }
});
