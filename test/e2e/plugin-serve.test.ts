// `tend plugin serve process` as its own process: the instance contract over its socket (the same
// suite the in-process plugin passes), InfraKit's `<name>.pid` beside the socket while it runs,
// and both gone after SIGTERM.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connectInstancePlugin } from '../../src/rpc/index.js';
import {
  destroyAllAndClose,
  PROCESS_CONTRACT_OPTIONS,
  runInstancePluginContract,
} from '../support/contract/plugin-contract.js';
import { eventually, killAllInstances } from '../support/manager.js';

const root = new URL('../..', import.meta.url).pathname;
let home: string;
let pluginDir: string;
let stateDir: string;
let child: ChildProcess;
let exited: Promise<number | null>;

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'tend-plugin-serve-'));
  pluginDir = join(home, 'plugins');
  stateDir = join(home, 'state');
  child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'plugin', 'serve', 'process', '--name', 'proc'],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        TEND_HOME: home,
        TEND_PLUGIN_DIR: pluginDir,
        TEND_MANAGER: '',
        TEND_TOKEN: '',
      },
    },
  );
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  // A hang guard: the pid file is written once the socket listens.
  await eventually('the plugin socket and pid file', () =>
    existsSync(join(pluginDir, 'proc.pid')) ? true : undefined,
  );
});

after(async () => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  killAllInstances(join(home, 'process'));
  killAllInstances(stateDir);
  await rm(home, { recursive: true, force: true });
});

runInstancePluginContract(
  'tend plugin serve process, over its socket',
  async () => {
    const plugin = await connectInstancePlugin({ dir: pluginDir, name: 'proc' });
    return { plugin, cleanup: () => destroyAllAndClose(plugin) };
  },
  PROCESS_CONTRACT_OPTIONS,
);

test('the pid file names the serving process; SIGTERM removes it and the socket', async () => {
  assert.equal(readFileSync(join(pluginDir, 'proc.pid'), 'utf8'), String(child.pid));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.equal(existsSync(join(pluginDir, 'proc')), false);
  assert.equal(existsSync(join(pluginDir, 'proc.pid')), false);
});
