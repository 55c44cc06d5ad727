// Plugin protocol throughput and latency: Instance.DescribeInstances answering 1, 100 and 1,000
// descriptions, with 1 and 8 concurrent clients, over a real unix socket to a plugin in a child
// process (as a real plugin would be). A fixed number of calls per case keeps it to a few seconds.
// Then the manager's InfraKit `group` socket (bench/_group-socket.ts): InspectGroups and
// DescribeGroup calls/s with one client, and the same calls on InfraKit v0.5's own manager when
// TEND_BENCH_INFRAKIT_BIN names its binaries (bench/_infrakit-manager.ts; skipped with a note
// otherwise). Then `tend plugin serve process` (bench/_plugin-serve.ts):
// the same describe against a real built-in plugin served by the CLI, holding 10 processes.
// Real clock. Prints tables, then one JSON line.
//   node --import tsx bench/rpc.ts
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { JsonRpcClient, RemoteInstancePlugin, servePlugin } from '../src/rpc/index.js';
import { type InstanceDescription, type InstancePlugin, instanceId } from '../src/spi/index.js';
import { benchGroupSocket } from './_group-socket.js';
import { benchInfraKitManager, infraKitMissing } from './_infrakit-manager.js';
import { benchPluginServe } from './_plugin-serve.js';

const SIZES = [1, 100, 1000] as const;
const CLIENTS = [1, 8] as const;
/** Calls per case: fewer for big answers, so every case takes a comparable, bounded time. */
const CALLS: Record<number, number> = { 1: 3000, 100: 1000, 1000: 200 };
/** Calls before timing, so JIT warm-up does not land in the first case. */
const WARMUP = 200;

function descriptions(count: number): InstanceDescription[] {
  return Array.from({ length: count }, (_, i) => ({
    id: instanceId(`i-${i.toString(16).padStart(12, '0')}`),
    tags: {
      'tend.group': 'workers',
      'tend.config': '3f2a9c1e7b4d',
      'tend.op': `op-${i}`,
      'tend.epoch': '7',
      role: 'worker',
    },
  }));
}

async function serve(dir: string): Promise<void> {
  const bySize = new Map(SIZES.map((n) => [String(n), descriptions(n)]));
  const fake = (type: string): InstancePlugin => ({
    validate: async () => {},
    provision: async () => instanceId('x'),
    label: async () => {},
    destroy: async () => {},
    describeInstances: async () => bySize.get(type) ?? [],
  });
  await servePlugin({
    dir,
    name: 'bench',
    instance: Object.fromEntries(SIZES.map((n) => [String(n), fake(String(n))])),
  });
  process.stdout.write('ready\n');
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

interface CaseResult {
  descriptions: number;
  clients: number;
  calls: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

async function runCase(socketPath: string, size: number, clients: number): Promise<CaseResult> {
  const total = CALLS[size] ?? 100;
  const plugins = Array.from(
    { length: clients },
    () =>
      new RemoteInstancePlugin({
        client: new JsonRpcClient({ socketPath, pluginName: 'bench' }),
        type: String(size),
      }),
  );
  const tags = { 'tend.group': 'workers' };
  for (const plugin of plugins)
    for (let i = 0; i < Math.min(WARMUP, 10 * (CALLS[size] ?? 100)) / clients; i++)
      await plugin.describeInstances(tags);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    plugins.map(async (plugin) => {
      while (next < total) {
        next++;
        const t0 = performance.now();
        const found = await plugin.describeInstances(tags);
        latencies.push(performance.now() - t0);
        if (found.length !== size) throw new Error(`expected ${size} descriptions, got ${found.length}`);
      }
    }),
  );
  const elapsed = performance.now() - started;
  await Promise.all(plugins.map((p) => p.close()));
  latencies.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    descriptions: size,
    clients,
    calls: latencies.length,
    callsPerSecond: Math.round((latencies.length / elapsed) * 1000),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

async function main(): Promise<void> {
  const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  const dir = mkdtempSync('/tmp/tend-');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL(import.meta.url).pathname, '--serve', dir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`bench plugin exited early (${code})`)));
    });
    const results: CaseResult[] = [];
    for (const size of SIZES)
      for (const clients of CLIENTS) results.push(await runCase(`${dir}/bench`, size, clients));
    console.log(
      `rpc bench: Instance.DescribeInstances over a unix socket (node ${process.version}, ${cpus().length} cpus)`,
    );
    console.log('');
    const header = ['descriptions', 'clients', 'calls', 'calls/s', 'p50 ms', 'p99 ms'];
    const rows = results.map((r) =>
      [r.descriptions, r.clients, r.calls, r.callsPerSecond, r.p50Ms, r.p99Ms].map(String),
    );
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    for (const row of [header, ...rows])
      console.log(row.map((c, i) => c.padStart(widths[i] ?? 0)).join('  '));
    const group = await benchGroupSocket();
    const perSec = (method: string) => group.find((r) => r.method === method)?.callsPerSecond ?? 0;
    console.log('');
    console.log(`group socket: ${group[0]?.groups} groups of ${group[0]?.instancesPerGroup}, 1 client`);
    const missing = infraKitMissing();
    const infrakit = missing === undefined ? await benchInfraKitManager() : [];
    const infraKitPerSec = (method: string) =>
      missing === undefined ? (infrakit.find((r) => r.method === method)?.callsPerSecond ?? 0) : null;
    console.log(`  ${'method'.padEnd(20)} ${'Tend'.padStart(9)} ${'InfraKit v0.5 manager'.padStart(22)}`);
    for (const r of group) {
      const theirs = infraKitPerSec(r.method);
      console.log(
        `  ${r.method.padEnd(20)} ${String(r.callsPerSecond).padStart(9)} ${String(theirs ?? '-').padStart(22)} calls/s`,
      );
    }
    if (missing !== undefined) console.log(`  InfraKit column skipped: ${missing}`);
    const served = await benchPluginServe();
    console.log('');
    console.log(`tend plugin serve process: DescribeInstances of ${served[0]?.instances} live processes`);
    for (const r of served)
      console.log(
        `  ${String(r.clients).padStart(2)} client(s)  ${String(r.callsPerSecond).padStart(6)} calls/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms`,
      );
    const loadAfter = loadavg().map((x) => Math.round(x * 100) / 100);
    console.log('');
    console.log(`clock: real; load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}`);
    console.log(
      JSON.stringify({
        bench: 'rpc',
        clock: 'real',
        node: process.version,
        cpus: cpus().length,
        loadBefore,
        loadAfter,
        cases: results,
        groupInspectPerSec: perSec('Group.InspectGroups'),
        groupDescribePerSec: perSec('Group.DescribeGroup'),
        infraKitGroupInspectPerSec: infraKitPerSec('Group.InspectGroups'),
        infraKitGroupDescribePerSec: infraKitPerSec('Group.DescribeGroup'),
        pluginServe: served,
      }),
    );
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

const serveAt = process.argv.indexOf('--serve');
const serveDir = serveAt === -1 ? undefined : process.argv[serveAt + 1];
if (serveDir !== undefined) await serve(serveDir);
else await main();
