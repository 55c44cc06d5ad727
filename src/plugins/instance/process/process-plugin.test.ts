import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  type InstanceEvent,
  type InstanceId,
  type InstanceSpec,
  logicalId,
  TendError,
} from '../../../spi/index.js';
import { createProcessPlugin, type ProcessPlugin, type ProcessPluginOptions } from './index.js';
import { inheritedVariables } from './instance-env.js';

const run = promisify(execFile);
// A hang guard only: every wait below ends on an event, never on elapsed time.
const guard = { timeout: 30_000 };

function spec(tags: Record<string, string>, init = 'exec sleep 300'): InstanceSpec {
  return { tags, init, attachments: [] };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}

function nextGone(plugin: ProcessPlugin, id: InstanceId): Promise<InstanceEvent> {
  return new Promise((resolve) => {
    const stop = plugin.watch((event) => {
      if (event.type === 'gone' && event.id === id) {
        stop();
        resolve(event);
      }
    });
  });
}

async function pidOf(plugin: ProcessPlugin, id: InstanceId): Promise<number> {
  const found = (await plugin.describeInstances({}, { properties: true })).find((d) => d.id === id);
  const pid = (found?.properties as { pid?: unknown } | undefined)?.pid;
  assert.equal(found?.id, id);
  assert.equal(typeof pid, 'number');
  return pid as number;
}

/** A state dir with plugins on it; afterwards every instance in it is destroyed and the dir removed. */
async function withStateDir(
  body: (ctx: {
    stateDir: string;
    open: (o?: Partial<ProcessPluginOptions>) => ProcessPlugin;
  }) => Promise<void>,
): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'tend-process-'));
  const stateDir = join(root, 'state');
  const plugins: ProcessPlugin[] = [];
  const open = (options: Partial<ProcessPluginOptions> = {}) => {
    const plugin = createProcessPlugin({ stateDir, pollIntervalMs: 50, killGraceMs: 2000, ...options });
    plugins.push(plugin);
    return plugin;
  };
  try {
    await body({ stateDir, open });
  } finally {
    for (const plugin of plugins) await plugin.close();
    const sweeper = createProcessPlugin({ stateDir, killGraceMs: 500 });
    for (const found of await sweeper.describeInstances({}))
      await sweeper.destroy(found.id, { reason: 'test' });
    await sweeper.close();
    await rm(root, { recursive: true, force: true });
  }
}

describe('process instance plugin', () => {
  it('reports a killed instance at once and describe drops it', guard, () =>
    withStateDir(async ({ open }) => {
      const plugin = open();
      const id = await plugin.provision(spec({ g: 'kill' }));
      const gone = nextGone(plugin, id);
      process.kill(await pidOf(plugin, id), 'SIGKILL');
      assert.deepEqual(await gone, { type: 'gone', id });
      assert.deepEqual(await plugin.describeInstances({ g: 'kill' }), []);
    }),
  );

  it('a second plugin object on the same dir adopts, watches and destroys instances', guard, () =>
    withStateDir(async ({ open }) => {
      const first = open();
      const kept = await first.provision(spec({ g: 'adopt', n: '1' }));
      const diesBefore = await first.provision(spec({ g: 'adopt', n: '2' }));
      const diesAfter = await first.provision(spec({ g: 'adopt', n: '3' }));
      const pids = { before: await pidOf(first, diesBefore), after: await pidOf(first, diesAfter) };
      await first.close();
      const second = open();
      const ids = (await second.describeInstances({ g: 'adopt' })).map((d) => d.id).sort();
      assert.deepEqual(ids, [kept, diesBefore, diesAfter].sort());

      // One ends before anyone watches (its state is still on disk), one while the watch polls.
      process.kill(pids.before, 'SIGKILL');
      await waitFor(() => !isRunning(pids.before));
      const goneBefore = nextGone(second, diesBefore);
      const goneAfter = nextGone(second, diesAfter);
      assert.deepEqual(await goneBefore, { type: 'gone', id: diesBefore });
      process.kill(pids.after, 'SIGKILL');
      assert.deepEqual(await goneAfter, { type: 'gone', id: diesAfter });

      const pid = await pidOf(second, kept);
      await second.destroy(kept, { reason: 'terminate' });
      await waitFor(() => !isRunning(pid));
      assert.deepEqual(await second.describeInstances({ g: 'adopt' }), []);
    }),
  );

  it('an instance outlives the process that provisioned it', guard, () =>
    withStateDir(async ({ stateDir, open }) => {
      const script = `
        const { createProcessPlugin } = await import(process.argv[1]);
        const plugin = createProcessPlugin({ stateDir: process.argv[2] });
        process.stdout.write(await plugin.provision({ tags: { g: 'outlive' }, init: 'exec sleep 300', attachments: [] }));`;
      const entry = new URL('./index.ts', import.meta.url).href;
      const { stdout } = await run(process.execPath, [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
        entry,
        stateDir,
      ]);
      const found = await open().describeInstances({ g: 'outlive' });
      assert.deepEqual(
        found.map((d) => d.id),
        [stdout],
      );
    }),
  );

  it('provision with a tend.op held by a live instance returns it, across plugin objects', guard, () =>
    withStateDir(async ({ open }) => {
      const first = await open().provision(spec({ g: 'op', 'tend.op': 'key-1' }));
      const again = await open().provision(spec({ g: 'op', 'tend.op': 'key-1' }));
      assert.equal(again, first);
      assert.equal((await open().describeInstances({ g: 'op' })).length, 1);
    }),
  );

  it('does not trust a recorded PID whose start time differs (PID reuse)', guard, () =>
    withStateDir(async ({ stateDir, open }) => {
      const plugin = open();
      const id = await plugin.provision(spec({ g: 'reuse' }));
      const pid = await pidOf(plugin, id);
      try {
        // As if the instance had died and an unrelated process had been given its PID.
        const file = join(stateDir, `${id}.json`);
        const state = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
        await writeFile(file, JSON.stringify({ ...state, startTime: '1' }));
        const fresh = open();
        assert.deepEqual(await fresh.describeInstances({ g: 'reuse' }), []);
        await fresh.destroy(id, { reason: 'terminate' });
        assert.equal(isRunning(pid), true, 'destroy signalled a process it does not own');
      } finally {
        process.kill(-pid, 'SIGKILL');
      }
    }),
  );

  it('keeps state private: dir 0700, files 0600, written whole', guard, () =>
    withStateDir(async ({ stateDir, open }) => {
      const plugin = open();
      const id = await plugin.provision({
        ...spec({ g: 'mode' }),
        logicalId: logicalId('m1'),
      });
      assert.equal((await stat(stateDir)).mode & 0o777, 0o700);
      assert.equal((await stat(join(stateDir, `${id}.json`))).mode & 0o777, 0o600);
      assert.deepEqual((await readdir(stateDir)).sort(), [`${id}.json`, `${id}.log`]);
      const state = JSON.parse(await readFile(join(stateDir, `${id}.json`), 'utf8')) as Record<
        string,
        unknown
      >;
      assert.match(id, /^proc-[0-9a-f]{16}$/);
      assert.equal(state.logicalId, 'm1');
      assert.equal(state.init, 'exec sleep 300');
      assert.match(String(state.startTime), /^\d+$/);
    }),
  );

  it('destroy escalates to SIGKILL when SIGTERM is ignored', guard, () =>
    withStateDir(async ({ open }) => {
      const plugin = open({ killGraceMs: 100 });
      const id = await plugin.provision(spec({ g: 'stubborn' }, "trap '' TERM; sleep 300; true"));
      const pid = await pidOf(plugin, id);
      await plugin.destroy(id, { reason: 'terminate' });
      assert.equal(isRunning(pid), false);
      assert.deepEqual(await plugin.describeInstances({ g: 'stubborn' }), []);
    }),
  );

  it('runs init with the env and cwd properties and logs its output', guard, () =>
    withStateDir(async ({ stateDir, open }) => {
      const plugin = open();
      const init = 'echo "$GREETING $TEND_INSTANCE_ID $(pwd)"; exec sleep 300';
      const id = await plugin.provision({
        ...spec({ g: 'env' }, init),
        properties: { env: { GREETING: 'hello' }, cwd: tmpdir() },
      });
      const log = join(stateDir, `${id}.log`);
      await waitFor(async () => (await readFile(log, 'utf8')).includes('\n'));
      assert.equal(await readFile(log, 'utf8'), `hello ${id} ${tmpdir()}\n`);
    }),
  );

  it("gives an instance a clean environment, never the manager's secrets", guard, () =>
    withStateDir(async ({ open }) => {
      process.env.TEND_TOKEN = 'manager-secret';
      process.env.AWS_SECRET_ACCESS_KEY = 'cloud-secret';
      try {
        const plugin = open();
        const id = await plugin.provision({
          ...spec({ g: 'clean-env' }),
          logicalId: logicalId('db-1'),
          properties: { env: { GREETING: 'hello', TEND_INSTANCE_ID: 'spoofed' } },
        });
        // Read from the kernel, as any workload would see it, not from what the plugin says.
        const raw = await readFile(`/proc/${await pidOf(plugin, id)}/environ`, 'utf8');
        const env = Object.fromEntries(
          raw
            .split('\0')
            .filter(Boolean)
            .map((kv) => kv.split(/=(.*)/s, 2)),
        );
        assert.equal(env.TEND_TOKEN, undefined);
        assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined);
        assert.equal(env.GREETING, 'hello');
        assert.equal(env.TEND_INSTANCE_ID, id);
        assert.equal(env.TEND_LOGICAL_ID, 'db-1');
        assert.match(env.TEND_STATE_DIR_ID ?? '', /^[0-9a-f]{16}$/);
        assert.equal(env.PATH, process.env.PATH);
        const allowed = new Set([
          ...inheritedVariables,
          'GREETING',
          'TEND_INSTANCE_ID',
          'TEND_LOGICAL_ID',
          'TEND_STATE_DIR_ID',
          'PWD',
          'SHLVL',
          '_',
        ]);
        assert.deepEqual(
          Object.keys(env).filter((k) => !allowed.has(k)),
          [],
        );
      } finally {
        delete process.env.TEND_TOKEN;
        delete process.env.AWS_SECRET_ACCESS_KEY;
      }
    }),
  );

  it('close stops watching but leaves instances running', guard, () =>
    withStateDir(async ({ open }) => {
      const plugin = open();
      const id = await plugin.provision(spec({ g: 'close' }));
      plugin.watch(() => {});
      await plugin.close();
      await assert.rejects(plugin.describeInstances({}), (e) => TendError.is(e, 'unavailable'));
      assert.deepEqual(
        (await open().describeInstances({ g: 'close' })).map((d) => d.id),
        [id],
      );
    }),
  );

  it('rejects bad properties with the path of the problem', async () => {
    const plugin = createProcessPlugin({ stateDir: join(tmpdir(), 'tend-process-never-created') });
    const message = (properties: unknown) =>
      plugin.validate(properties as never).then(
        () => 'accepted',
        (e: unknown) => (TendError.is(e, 'invalid_spec') ? e.message : `wrong error: ${String(e)}`),
      );
    assert.equal(await message({ env: {}, image: 'x' }), 'process plugin: properties.image: unknown key');
    assert.equal(
      await message({ env: { PORT: 80 } }),
      'process plugin: properties.env.PORT: expected string, received number',
    );
    assert.match(
      await message({ env: { 'BAD-NAME': 'x' } }),
      /properties\.env\.BAD-NAME: expected an environment/,
    );
    assert.equal(await message({ cwd: '' }), 'process plugin: properties.cwd: expected a non-empty path');
    assert.equal(await message('x'), 'process plugin: properties: expected object, received string');
    assert.equal(await message(null), 'accepted');
    await assert.rejects(
      plugin.provision({ ...spec({}), properties: { cwd: '/nonexistent/tend' } }),
      (e) => TendError.is(e, 'invalid_spec') && e.message.includes('properties.cwd'),
    );
    await plugin.close();
  });
});
