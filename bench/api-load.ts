// API load vs rollout pace (issue #7): a real `tend up` manager rolls a group of local processes
// while a SECOND PROCESS on loopback runs 200 concurrent readers (GET /v1/status and
// /v1/groups/:id in a closed loop) plus one SSE stream. The rollout's pace (instances updated per
// second) under load is compared with its pace without load, in the same run. Not a pass/fail test.
//
// Fairness: the readers live in their own process; loaded rollouts count only once the readers
// report they are running and only if they end before the readers stop; baseline rollouts run
// both before and after the load, so drift in the machine's other load shows in the two baselines
// instead of in the ratio. A rollout is timed from the client sending the apply to the manager's
// own `rollout-done` event timestamp, so the observer's polling latency (slower under load) is
// not counted, while the apply's own latency under load is. `healthyFor` and the tick interval
// are short (default 0 ms / 100 ms) so the rollout's time is reconcile work rather than fixed
// waits that no load can stretch (with the old 300 ms / 200 ms, ~70% of a rollout was waiting).
// Run: node --import tsx bench/api-load.ts [--seconds N] [--readers N] [--healthy-for MS]
//        [--tick MS] [--cpu-prof DIR]   (last line: JSON)
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ManagerClient } from '../src/manager/index.js';
import { e2eWorkspace, eventually, ManagerProcess } from '../test/support/manager.js';

const GROUP = 'load';
const SIZE = 6;
const BASELINE_ROLLOUTS = 4;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    readers: { type: 'string', default: '200' },
    'healthy-for': { type: 'string', default: '0' },
    tick: { type: 'string', default: '100' },
    reader: { type: 'boolean', default: false },
    url: { type: 'string' },
    token: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const readers = Number(values.readers);
const healthyForMs = Number(values['healthy-for']);
const tickMs = Number(values.tick);

const spec = (version: number) => `
groups:
  - id: ${GROUP}
    allocation: { size: ${SIZE} }
    instance: { plugin: process }
    flavor: { plugin: vanilla, properties: { init: ["echo v${version}", "while true; do sleep 1; done"] } }
    health: { grace: 1s, unhealthyAfter: 5s }
    update: { maxSurge: 1, maxUnavailable: 0, healthyFor: ${healthyForMs}ms, timeout: 5m, onFailure: pause }
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

interface Rollout {
  seconds: number;
  pace: number;
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
  const loops = Promise.all(Array.from({ length: readers }, (_, i) => loop(i)));
  process.stdout.write('readers running\n');
  await loops;
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
      tickIntervalMs: tickMs,
      env: { TEND_LOG_LEVEL: 'warn' },
      ...(values['cpu-prof'] === undefined
        ? {}
        : { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] }),
    });
    workspace.managers.push(manager);
    const client = manager.client;
    await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
    await converged(client, (await client.apply(spec(version))).groups[0]?.config ?? '', version);
    await rollout(client, ++version); // warm-up: code paths compiled, untimed

    const before: Rollout[] = [];
    for (let i = 0; i < BASELINE_ROLLOUTS; i++) before.push(await rollout(client, ++version));

    const load = startReaders(manager.url, manager.token);
    await load.running;
    const loaded: Rollout[] = [];
    let discarded = 0;
    while (!load.finished()) {
      const done = await rollout(client, ++version);
      if (load.finished())
        discarded += 1; // ended after the readers stopped: not fully loaded
      else loaded.push(done);
    }
    const stats = await load.stats;

    const after: Rollout[] = [];
    for (let i = 0; i < BASELINE_ROLLOUTS; i++) after.push(await rollout(client, ++version));

    const pace = (xs: readonly Rollout[]) =>
      (xs.length * SIZE) /
      Math.max(
        1e-9,
        xs.reduce((sum, r) => sum + r.seconds, 0),
      );
    const paceBaseline = pace([...before, ...after]);
    const paceLoaded = pace(loaded);
    const paceRatio = paceLoaded / paceBaseline;
    const list = (xs: readonly Rollout[]) => xs.map((r) => r.pace.toFixed(2)).join(' ');
    const rows: Array<[string, string]> = [
      ['readers', `${readers} + 1 SSE stream, ${seconds} s, second process on loopback`],
      ['rollout', `${SIZE} instances, maxSurge 1, healthyFor ${healthyForMs} ms, tick ${tickMs} ms`],
      ['requests', String(stats.requests)],
      ['requests/s', (stats.requests / seconds).toFixed(0)],
      ['errors', String(stats.errors)],
      ['latency p50 / p99', `${stats.p50Ms} ms / ${stats.p99Ms} ms`],
      ['SSE messages', `${stats.sseEvents} events, ${stats.sseStatus} status, ${stats.sseErrors} errors`],
      ['pace before load', `${pace(before).toFixed(3)} instances/s (${list(before)})`],
      ['pace after load', `${pace(after).toFixed(3)} instances/s (${list(after)})`],
      [
        'pace under load',
        `${paceLoaded.toFixed(3)} instances/s (${loaded.length} rollouts, ${discarded} discarded)`,
      ],
      ['pace ratio', paceRatio.toFixed(3)],
    ];
    for (const [k, v] of rows) console.log(`${k.padEnd(20)} ${v}`);
    console.log(
      JSON.stringify({
        bench: 'api-load',
        seconds,
        readers,
        healthyForMs,
        tickMs,
        paceRatio: Number(paceRatio.toFixed(3)),
        paceBaseline: Number(paceBaseline.toFixed(3)),
        paceBefore: Number(pace(before).toFixed(3)),
        paceAfter: Number(pace(after).toFixed(3)),
        paceLoaded: Number(paceLoaded.toFixed(3)),
        loadedRollouts: loaded.length,
        ...stats,
      }),
    );
  } finally {
    await workspace.cleanup();
  }

  /**
   * Applies version `v` and waits until every instance runs it. Timed from sending the apply to
   * the manager's `rollout-done` event for it (the manager's clock; same host).
   */
  async function rollout(client: ManagerClient, v: number): Promise<Rollout> {
    const cursor = (await client.events(0, 1)).events.at(-1)?.seq ?? 0;
    const started = Date.now();
    const config = (await client.apply(spec(v), { reason: `bench v${v}` })).groups[0]?.config ?? '';
    const done = await eventually(
      `rollout to v${v}`,
      async () => {
        const { events } = await client.events(cursor, undefined, { group: GROUP });
        return events.find((e) => e.type === 'rollout-done');
      },
      { intervalMs: 100, attempts: 10 * 60 * 10 },
    );
    await converged(client, config, v);
    const elapsed = (done.at - started) / 1000;
    return { seconds: elapsed, pace: SIZE / elapsed };
  }
}

async function converged(client: ManagerClient, config: string, v: number): Promise<void> {
  await eventually(`v${v} converged`, async () => {
    const group = (await client.status()).groups.find((g) => g.id === GROUP);
    const done =
      group?.config === config &&
      group.phase === 'converged' &&
      group.healthy === SIZE &&
      group.observed === SIZE;
    return done ? true : undefined;
  });
}

/** Spawns the reader process; `running` resolves once its readers have started. */
function startReaders(
  url: string,
  token: string,
): { running: Promise<void>; finished: () => boolean; stats: Promise<LoadStats> } {
  const args = ['--import', 'tsx', new URL(import.meta.url).pathname, '--reader', '--url', url];
  args.push('--token', token, '--seconds', String(seconds), '--readers', String(readers));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let finished = false;
  let onRunning: () => void = () => {};
  const running = new Promise<void>((resolve) => {
    onRunning = resolve;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    if (line === 'readers running') onRunning();
  });
  const stats = new Promise<LoadStats>((resolve, reject) => {
    child.on('exit', (code) => {
      finished = true;
      onRunning();
      try {
        resolve(JSON.parse(lines.at(-1) ?? '') as LoadStats);
      } catch {
        reject(new Error(`reader process exited ${code} without stats: ${lines.join('\n').slice(0, 500)}`));
      }
    });
  });
  // The readers stop at their deadline; the process exits a moment later.
  void running.then(() => {
    setTimeout(() => {
      finished = true;
    }, seconds * 1000).unref();
  });
  return { running, finished: () => finished, stats };
}
