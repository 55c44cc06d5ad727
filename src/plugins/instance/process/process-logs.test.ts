// Logs and location of the process plugin: the PID describe reports is the running process, its
// output is readable through `logs` during and after its life, and old logs are pruned.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../lib/index.js';
import { instanceId, TendError } from '../../../spi/index.js';
import { createProcessPlugin } from './index.js';
import { pruneLogs, readLogTail } from './process-logs.js';

// A hang guard only: every wait below ends on a condition, never on elapsed time.
const guard = { timeout: 30_000 };

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tend-process-logs-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('process plugin logs and location', () => {
  it('describe names the PID and host; logs returns the output, also after destroy', guard, () =>
    withDir(async (dir) => {
      const plugin = createProcessPlugin({ stateDir: join(dir, 'state'), killGraceMs: 2000 });
      try {
        const id = await plugin.provision({
          tags: { g: 'logs' },
          init: 'echo "hello from $TEND_INSTANCE_ID"; echo oops >&2; exec sleep 300',
          attachments: [],
        });
        const [found] = await plugin.describeInstances({ g: 'logs' });
        assert.equal(found?.location?.host, hostname());
        const pid = found?.location?.pid;
        assert.equal(typeof pid, 'number');
        process.kill(pid as number, 0); // throws when no such process
        await waitFor(async () => (await plugin.logs(id)).includes('oops'));
        assert.equal(await plugin.logs(id), `hello from ${id}\noops\n`);
        assert.equal(await plugin.logs(id, { tailBytes: 5 }), 'oops\n');
        assert.equal(await plugin.logs(id, { sinceMs: Date.now() + 60_000 }), '');
        await plugin.destroy(id, { reason: 'test' });
        assert.match(await plugin.logs(id), /hello from/);
        await assert.rejects(plugin.logs(instanceId('proc-0000000000000000')), (e: unknown) =>
          TendError.is(e, 'not_found'),
        );
        await assert.rejects(plugin.logs(instanceId('../../etc/passwd')), (e: unknown) =>
          TendError.is(e, 'not_found'),
        );
      } finally {
        for (const d of await plugin.describeInstances({})) await plugin.destroy(d.id, { reason: 'test' });
        await plugin.close();
      }
    }),
  );

  it('a tail cut inside a multi-byte character drops the partial character', guard, () =>
    withDir(async (dir) => {
      const file = join(dir, 'proc-0000000000000001.log');
      await writeFile(file, 'aé\n');
      assert.equal(await readLogTail(file, { tailBytes: 2 }), '\n');
      assert.equal(await readLogTail(file, { tailBytes: 3 }), 'é\n');
      assert.equal(await readLogTail(join(dir, 'missing.log')), undefined);
    }),
  );

  it('pruning keeps live logs, the newest maxFiles others, none older than maxAgeMs', guard, () =>
    withDir(async (dir) => {
      const now = Date.now();
      const id = (n: number) => `proc-${n.toString(16).padStart(16, '0')}`;
      for (let n = 1; n <= 6; n += 1) {
        const file = join(dir, `${id(n)}.log`);
        await writeFile(file, `log ${n}\n`);
        const at = (now - n * 60_000) / 1000; // 1 is the newest
        await utimes(file, at, at);
      }
      await writeFile(join(dir, 'unrelated.log'), 'not ours\n');
      const removed = await pruneLogs({
        dir,
        keep: new Set([id(6)]), // the oldest, but its instance runs
        now,
        retention: { maxFiles: 2, maxAgeMs: 4.5 * 60_000 },
        logger: silentLogger,
      });
      assert.deepEqual(removed.sort(), [id(3), id(4), id(5)]);
      assert.deepEqual((await readdir(dir)).sort(), [
        `${id(1)}.log`,
        `${id(2)}.log`,
        `${id(6)}.log`,
        'unrelated.log',
      ]);
      const aged = await pruneLogs({
        dir,
        keep: new Set(),
        now: now + 10 * 60_000,
        retention: { maxFiles: 100, maxAgeMs: 4.5 * 60_000 },
        logger: silentLogger,
      });
      assert.deepEqual(aged.sort(), [id(1), id(2), id(6)]);
    }),
  );
});
