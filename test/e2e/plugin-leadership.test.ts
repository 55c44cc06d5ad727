// The `plugin` leadership backend against the Python example plugin
// (examples/plugins/python/leader_plugin.py) as a real separate process: the leadership contract,
// then a plugin that stops answering ends the term at once.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PluginLeadership } from '../../src/leadership/index.js';
import { JsonRpcClient, pluginSocketPath } from '../../src/rpc/index.js';
import { TendError } from '../../src/spi/index.js';
import { runLeadershipContract } from '../support/contract/leadership-contract.js';

const root = new URL('../..', import.meta.url).pathname;
const script = join(root, 'examples/plugins/python/leader_plugin.py');
const probe = spawnSync('python3', ['--version'], { stdio: 'ignore' });
const noPython = probe.error === undefined && probe.status === 0 ? undefined : 'python3 is not installed';
if (noPython !== undefined) {
  if (process.env.CI === 'true') throw new Error(`CI=true, so not skipping: ${noPython}`);
  console.log(`# skipping the plugin leadership tests: ${noPython}`);
}

interface Running {
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startElector(): Promise<Running> {
  const dir = mkdtempSync('/tmp/tend-lp-');
  const child = spawn('python3', [script, '--dir', dir, '--name', 'leader', '--ttl', '2'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`leader_plugin exited (${code}) before listening`)));
  });
  return {
    dir,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

describe('PluginLeadership with the Python example plugin', { skip: noPython }, () => {
  runLeadershipContract('PluginLeadership', async () => {
    const elector = await startElector();
    const admin = new JsonRpcClient({
      socketPath: pluginSocketPath(elector.dir, 'leader'),
      pluginName: 'leader',
    });
    return {
      candidate: async (name, address) =>
        new PluginLeadership({
          pluginDir: elector.dir,
          plugin: 'leader',
          name,
          pollMs: 200,
          ...(address === undefined ? {} : { address }),
        }),
      settleMs: 1000,
      depose: async () => {
        await admin.call('Leadership.Depose', {});
      },
      cleanup: () => elector.stop(),
    };
  });

  test('a plugin that stops answering ends the term; a missing plugin fails with a TendError', async () => {
    const elector = await startElector();
    const a = new PluginLeadership({ pluginDir: elector.dir, plugin: 'leader', name: 'a', pollMs: 200 });
    try {
      const term = await a.campaign();
      elector.child.kill('SIGKILL');
      await aborted(term.signal);
      assert.ok(TendError.is(term.signal.reason, 'not_leader'), String(term.signal.reason));
      assert.match(String((term.signal.reason as Error).message), /did not answer/);
    } finally {
      await a.close();
      await elector.stop();
    }
    const wrong = new PluginLeadership({ pluginDir: '/nonexistent-tend-dir', plugin: 'x', name: 'a' });
    await assert.rejects(wrong.leader(), (e: unknown) => TendError.is(e));
  });
});
