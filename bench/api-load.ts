// API load vs rollout pace (issue #7): a real `tend up` manager rolls a group of local processes
// while a SECOND PROCESS on loopback runs 200 concurrent readers (GET /v1/status and
// /v1/groups/:id in a loop) plus one SSE stream. The rollout's pace (instances updated per second)
// under load is compared with its pace without load, in the same run. Not a pass/fail test.
// Run: node --import tsx bench/api-load.ts [--seconds N] [--readers N]   (last line: JSON)
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ManagerClient } from '../src/manager/index.js';
import { e2eWorkspace, eventually, ManagerProcess } from '../test/support/manager.js';

const GROUP = 'load';
const SIZE = 6;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    readers: { type: 'string', default: '200' },
    reader: { type: 'boolean', default: false },
    url: { type: 'string' },
    token: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const readers = Number(values.readers);

const spec = (version: number) => `
groups:
  - id: ${GROUP}
    allocation: { size: ${SIZE} }
    instance: { plugin: process }
    flavor: { plugin: vanilla, properties: { init: ["echo v${version}", "while true; do sleep 1; done"] } }
    health: { grace: 1s, unhealthyAfter: 5s }
    update: { maxSurge: 1, maxUnavailable: 0, healthyFor: 300ms, timeout: 5m, onFailure: pause }
`;

interface LoadStats {
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  sseEvents: number;
  sseStatus: number;
  sseErrors: number;
}

if (values.reader) await readerMain();
else await main();

/** The second process: readers + one SSE stream for `seconds`, then one JSON line of stats. */
async function readerMain(): Promise<void> {
  const url = values.url ?? '';
  const headers = { authorization: `Bearer ${values.token ?? ''}` };
  const deadline = Date.now() + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  const loop = async (i: number) => {
    let n = i;
    while (Date.now() < deadline) {
      const path = n++ % 2 === 0 ? '/v1/status' : `/v1/groups/${GROUP}`;
      const started = performance.now();
      try {
        const response = await fetch(`${url}${path}`, { headers });
        await response.arrayBuffer();
        if (response.status !== 200) errors += 1;
      } catch {
        errors += 1;
      }
      latencies.push(performance.now() - started);
    }
  };
  const sse = { events: 0, status: 0, errors: 0 };
  const stop = new AbortController();
  const client = new ManagerClient({ url, token: values.token ?? '' });
  const stream = client
    .stream({
      signal: stop.signal,
      onEvent: () => {
        sse.events += 1;
      },
      onStatus: () => {
        sse.status += 1;
      },
    })
    .catch(() => {
      if (!stop.signal.aborted) sse.errors += 1;
    });
  await Promise.all(Array.from({ length: readers }, (_, i) => loop(i)));
  stop.abort();
  await stream;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    Number((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0).toFixed(2));
  const stats: LoadStats = {
    requests: latencies.length,
    errors,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    sseEvents: sse.events,
    sseStatus: sse.status,
    sseErrors: sse.errors,
  };
  process.stdout.write(`${JSON.stringify(stats)}\n`);
}

async function main(): Promise<void> {
  const workspace = await e2eWorkspace('bench-api-load');
  let version = 1;
  try {
    const manager = await ManagerProcess.start({
      name: 'load',
      dir: workspace.dir,
      stateDir: workspace.stateDir,
      tickIntervalMs: 200,
      env: { TEND_LOG_LEVEL: 'warn' },
    });
    workspace.managers.push(manager);
    const client = manager.client;
    await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
    await rollout(client, version);

    // Baseline: two rollouts with nobody reading.
    const baseline: number[] = [];
    for (let i = 0; i < 2; i++) baseline.push(await rollout(client, ++version));

    // Under load: rollouts back to back for as long as the readers run (at least one).
    const loadDone = runReaders(manager.url, manager.token);
    let finished = false;
    void loadDone.then(() => {
      finished = true;
    });
    const loaded: number[] = [];
    while (!finished || loaded.length === 0) loaded.push(await rollout(client, ++version));
    const stats = await loadDone;

    const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const paceBaseline = mean(baseline);
    const paceLoaded = mean(loaded);
    const paceRatio = paceLoaded / paceBaseline;
    const rows: Array<[string, string]> = [
      ['readers', `${readers} + 1 SSE stream, ${seconds} s, second process on loopback`],
      ['requests', String(stats.requests)],
      ['requests/s', (stats.requests / seconds).toFixed(0)],
      ['errors', String(stats.errors)],
      ['latency p50 / p99', `${stats.p50Ms} ms / ${stats.p99Ms} ms`],
      ['SSE messages', `${stats.sseEvents} events, ${stats.sseStatus} status, ${stats.sseErrors} errors`],
      [
        'pace without load',
        `${paceBaseline.toFixed(3)} instances/s (${baseline.length} rollouts of ${SIZE})`,
      ],
      ['pace under load', `${paceLoaded.toFixed(3)} instances/s (${loaded.length} rollouts of ${SIZE})`],
      ['pace ratio', paceRatio.toFixed(3)],
    ];
    for (const [k, v] of rows) console.log(`${k.padEnd(20)} ${v}`);
    console.log(
      JSON.stringify({
        bench: 'api-load',
        seconds,
        readers,
        paceRatio: Number(paceRatio.toFixed(3)),
        paceBaseline: Number(paceBaseline.toFixed(3)),
        paceLoaded: Number(paceLoaded.toFixed(3)),
        ...stats,
      }),
    );
  } finally {
    await workspace.cleanup();
  }

  /** Applies version `v` and waits until every instance runs it; returns instances updated per second. */
  async function rollout(client: ManagerClient, v: number): Promise<number> {
    const started = performance.now();
    const config = (await client.apply(spec(v), { reason: `bench v${v}` })).groups[0]?.config;
    await eventually(
      `rollout to v${v}`,
      async () => {
        const group = (await client.status()).groups.find((g) => g.id === GROUP);
        const done =
          group !== undefined &&
          group.config === config &&
          group.phase === 'converged' &&
          group.healthy === SIZE &&
          group.observed === SIZE;
        return done ? true : undefined;
      },
      { intervalMs: 50, attempts: 20 * 60 * 10 },
    );
    return SIZE / ((performance.now() - started) / 1000);
  }
}

function runReaders(url: string, token: string): Promise<LoadStats> {
  const args = [
    '--import',
    'tsx',
    new URL(import.meta.url).pathname,
    '--reader',
    '--url',
    url,
    '--token',
    token,
  ];
  args.push('--seconds', String(seconds), '--readers', String(readers));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as LoadStats);
      } catch {
        reject(new Error(`reader process exited ${code} without stats: ${out.slice(0, 500)}`));
      }
    });
  });
}
