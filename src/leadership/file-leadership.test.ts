import assert from 'node:assert/strict';
import { link, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runLeadershipContract } from '../../test/support/contract/leadership-contract.js';
import { VirtualClock } from '../lib/index.js';
import { TendError } from '../spi/index.js';
import { FileLeadership } from './file-leadership.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tend-file-leader-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

runLeadershipContract('FileLeadership', async () => {
  const dir = await tempDir();
  const file = join(dir, 'leader');
  return {
    candidate: async (name, address) =>
      // A long lease: a slow fsync on a loaded machine must not cause a real failover mid-test.
      new FileLeadership({
        file,
        name,
        pollIntervalMs: 25,
        leaseMs: 5000,
        ...(address === undefined ? {} : { address }),
      }),
    settleMs: 150,
    // An operator hands the seat over by hand: another holder, a higher epoch, already free.
    depose: async () => {
      const record = JSON.parse(await readFile(file, 'utf8')) as { epoch: number };
      const next = { name: 'operator', epoch: record.epoch + 1, holder: 'hand', renewedAt: 0, expiresAt: 0 };
      await writeFile(file, JSON.stringify(next));
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

/** Lets real file I/O finish between virtual-time steps. */
async function settle(clock: VirtualClock, ms: number): Promise<void> {
  for (let i = 0; i < ms / 10; i++) {
    await clock.advance(10);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('FileLeadership leases on virtual time', () => {
  test('a standby takes over only after the holder’s lease expired, with epoch + 1', async () => {
    const clock = new VirtualClock({ start: 1_000_000 });
    const file = join(await tempDir(), 'leader');
    // A crashed leader: its lease runs until +300 ms and nobody renews it.
    await writeFile(
      file,
      JSON.stringify({ name: 'gone', epoch: 7, holder: 'x', renewedAt: 1_000_000, expiresAt: 1_000_300 }),
    );
    const b = new FileLeadership({ file, name: 'b', pollIntervalMs: 100, clock });
    let won = false;
    const campaign = b.campaign().then((term) => {
      won = true;
      return term;
    });
    // Each poll does real file I/O; virtual time moves only once b sleeps again (its look at the
    // file is over), so the steps below are the same on an idle and on a loaded machine.
    for (const at of [1_000_000, 1_000_100, 1_000_200]) {
      await clock.sleeping(1);
      assert.equal(clock.now(), at);
      assert.equal(won, false, `no takeover while the lease runs (at +${at - 1_000_000} ms)`);
      assert.equal((await b.leader())?.name, 'gone');
      await clock.advance(100);
    }
    // At +300 the lease has expired: that poll takes the seat.
    const term = await campaign;
    assert.equal(term.epoch, 8);
    assert.equal((await b.leader())?.name, 'b');
    await b.close();
  });

  test('a leader that cannot renew ends its term before its lease runs out', async () => {
    const clock = new VirtualClock({ start: 5_000 });
    const dir = await tempDir();
    const file = join(dir, 'leader');
    const a = new FileLeadership({ file, name: 'a', pollIntervalMs: 100, leaseMs: 400, clock });
    const term = await a.campaign();
    await settle(clock, 250);
    assert.equal(term.signal.aborted, false, 'renewals keep the term');
    // Another live process takes the lock, the way a real contender would (publish by link(2)
    // once it is free: replacing a held lock would race with its holder's release), and keeps it
    // forever: renewals cannot get through.
    await writeFile(
      `${file}.lock.test`,
      JSON.stringify({
        pid: process.pid,
        bootId: (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim(),
        token: 'stuck',
      }),
    );
    for (;;) {
      try {
        await link(`${file}.lock.test`, `${file}.lock`);
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 1)); // a renewal holds it for a moment
      }
    }
    const expiresAt = (JSON.parse(await readFile(file, 'utf8')) as { expiresAt: number }).expiresAt;
    // Bounded: a term that never ends fails here instead of spinning until the runner's guard.
    for (let i = 0; i < 3_000 && !term.signal.aborted; i++) await settle(clock, 10);
    assert.ok(
      term.signal.aborted,
      `term still held at ${clock.now()}; leader file: ${await readFile(file, 'utf8')}; lock: ${await readFile(`${file}.lock`, 'utf8').catch(() => 'none')}`,
    );
    assert.ok(clock.now() < expiresAt, `ended at ${clock.now()}, before the lease end ${expiresAt}`);
    assert.ok(TendError.is(term.signal.reason, 'not_leader'));
    await rm(`${file}.lock`);
    await a.close();
  });

  test('a damaged leader file is reported by leader(), naming the file', async () => {
    const file = join(await tempDir(), 'leader');
    await writeFile(file, 'mgr-1\n');
    const a = new FileLeadership({ file, name: 'a', pollIntervalMs: 20 });
    await assert.rejects(a.leader(), (e: unknown) => TendError.is(e, 'internal') && e.message.includes(file));
    await a.close();
  });
});
