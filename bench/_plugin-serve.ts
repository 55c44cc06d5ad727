// `tend plugin serve process` as its own process (the CLI, as an operator or InfraKit's group
// controller would run it): Instance.DescribeInstances calls/s over its socket with 1 and 8
// clients while it holds a few real `sleep` processes, beside the in-memory example of
// bench/rpc.ts. A real plugin's describe reads its state files and /proc, so this is the cost a
// caller actually sees. Imported by bench/rpc.ts (the leading `_` keeps it out of the list).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { JsonRpcClient, RemoteInstancePlugin } from '../src/rpc/index.js';

const INSTANCES = 10;
const CALLS = 500;
const WARMUP = 50;

export interface PluginServeResult {
  plugin: 'process';
  instances: number;
  clients: number;
  calls: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const root = new URL('..', import.meta.url).pathname;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

async function measure(socketPath: string, clients: number): Promise<PluginServeResult> {
  const plugins = Array.from(
    { length: clients },
    () => new RemoteInstancePlugin({ client: new JsonRpcClient({ socketPath, pluginName: 'process' }) }),
  );
  const tags = { 'tend.group': 'bench' };
  for (const plugin of plugins)
    for (let i = 0; i < WARMUP / clients; i++) await plugin.describeInstances(tags);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    plugins.map(async (plugin) => {
      while (next < CALLS) {
        next++;
        const t0 = performance.now();
        const found = await plugin.describeInstances(tags);
        latencies.push(performance.now() - t0);
        if (found.length !== INSTANCES)
          throw new Error(`expected ${INSTANCES} instances, got ${found.length}`);
      }
    }),
  );
  const elapsed = performance.now() - started;
  await Promise.all(plugins.map((p) => p.close()));
  latencies.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    plugin: 'process',
    instances: INSTANCES,
    clients,
    calls: latencies.length,
    callsPerSecond: Math.round((latencies.length / elapsed) * 1000),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

/** Serves the process plugin, provisions its instances, measures, destroys them, stops it. */
export async function benchPluginServe(): Promise<PluginServeResult[]> {
  const home = mkdtempSync('/tmp/tend-ps-');
  const pluginDir = join(home, 'plugins');
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'plugin', 'serve', 'process', '--log-level', 'warn'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, TEND_HOME: home, TEND_PLUGIN_DIR: pluginDir, TEND_TOKEN: '', TEND_MANAGER: '' },
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const socketPath = join(pluginDir, 'process');
  const setup = new RemoteInstancePlugin({
    client: new JsonRpcClient({ socketPath, pluginName: 'process' }),
  });
  try {
    for (let i = 0; i < 600 && !existsSync(`${socketPath}.pid`); i++) await sleep(100);
    for (let i = 0; i < INSTANCES; i++)
      await setup.provision({
        tags: { 'tend.group': 'bench', 'tend.op': `bench-${i}` },
        init: 'exec sleep 600',
        attachments: [],
      });
    const results: PluginServeResult[] = [];
    for (const clients of [1, 8]) results.push(await measure(socketPath, clients));
    return results;
  } finally {
    for (const found of await setup.describeInstances({ 'tend.group': 'bench' }).catch(() => []))
      await setup.destroy(found.id, { reason: 'terminate' }).catch(() => {});
    await setup.close();
    child.kill('SIGTERM');
    await exited;
    rmSync(home, { recursive: true, force: true });
  }
}
