// Scale (#17 item 7): ONE in-process manager (memory store, static leadership, default tick 1 s)
// on the simulator, whose own rate limits are off, so what limits it is Tend: the manager's
// plugin limiter (default 20 provisions/s, burst 20, 8 at once unless BENCH_RATE raises it) and
// this process's CPU. For each size G groups × S instances it prints, on the REAL clock:
//   - converge: from the apply until every group reports phase converged with S healthy
//     (floor = G·S / provision rate, plus the apply);
//   - CPU per round: process CPU ms per second of steady state (one round per group per second);
//     event-loop delay p99 and utilization and the reconcile time the manager records, so a
//     stretched round shows (controllers rest longer while the loop is busy: rest.ts);
//   - RSS after converging;
//   - GET /v1/status over loopback: median ms and bytes (whatever status is on main);
//   - heal: one instance lost (sim.vanish) until its replacement's provision returned (taken in a
//     wrapper of the plugin, not by polling) — the watch path (a `gone` event) and a silent loss
//     (found by the next describe); median of BENCH_HEALS (default 9)
//     each, victims spread over the groups. healRatio1000to10 = watch median of the first size
//     with 1,000 groups over that of the size with 10, in the same run.
// Sizes: BENCH_SIZES (default 10x10,100x10,1000x10,1000x100). Last line: JSON.
// Run: npm run bench -- scale   (BENCH_PROFILE=DIR: a CPU profile of each steady-state window)
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { StaticLeadership } from '../src/leadership/index.js';
import { systemClock } from '../src/lib/index.js';
import { Manager } from '../src/manager/index.js';
import {
  createSimulatorPlugin,
  type SimulatorPlugin,
  simulatedHealthOf,
} from '../src/plugins/instance/simulator/index.js';
import {
  type FlavorPlugin,
  type InstanceId,
  type InstancePlugin,
  type PluginResolver,
  TAG_GROUP,
  TendError,
} from '../src/spi/index.js';
import { MemoryStore } from '../src/store/index.js';
import { machineNote } from './_machine.js';

const machine = machineNote('real');
const sizes = (process.env.BENCH_SIZES ?? '10x10,100x10,1000x10,1000x100').split(',').map((s) => {
  const [g, n] = s.split('x').map(Number);
  if (!g || !n) throw new Error(`BENCH_SIZES: expected GxS like 100x10, got ${s}`);
  return { groups: g, size: n };
});
const heals = Number(process.env.BENCH_HEALS ?? 9);
const statusReads = Number(process.env.BENCH_STATUS_READS ?? 10);
const steadySeconds = Number(process.env.BENCH_STEADY_S ?? 10);
const raisedRate = process.env.BENCH_RATE === undefined ? undefined : Number(process.env.BENCH_RATE);
const provisionRate = raisedRate ?? 20; // DEFAULT_PLUGIN_LIMITS

/** Stages on stderr, so a run that never ends still shows how far it got. */
const progress = (line: string) => process.stderr.write(`scale: ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? null : round(sorted[Math.floor((sorted.length - 1) / 2)] ?? 0);
};
const round = (v: number) => Math.round(v * 10) / 10;

const flavor: FlavorPlugin = {
  validate: async () => {},
  prepare: async (_p, spec) => spec,
  healthy: async (_p, instance) => simulatedHealthOf(instance),
  drain: async () => {},
};

/**
 * The simulator as the manager sees it, telling `created` of each provision the moment it
 * returns: a heal's end is taken there, on the same clock as its start, not by polling (a 5 ms
 * poll in a busy event loop measured the loop's delay as much as the heal).
 */
function reportingCreations(sim: SimulatorPlugin, created: (group: string) => void): InstancePlugin {
  return new Proxy(sim, {
    get(target, property) {
      if (property === 'provision')
        return async (...args: Parameters<SimulatorPlugin['provision']>) => {
          const id = await target.provision(...args);
          created(args[0].tags[TAG_GROUP] ?? '');
          return id;
        };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function resolverFor(sim: SimulatorPlugin, created: (group: string) => void): PluginResolver {
  const plugin = reportingCreations(sim, created);
  return {
    instance: async (name) => {
      if (name === 'simulator') return plugin;
      throw new TendError('not_found', `no instance plugin ${name}`);
    },
    flavor: async (name) => {
      if (name === 'test') return flavor;
      throw new TendError('not_found', `no flavor plugin ${name}`);
    },
  };
}

const groupName = (g: number) => `g${String(g).padStart(4, '0')}`;
const document = (groups: number, size: number) =>
  `groups:\n${Array.from(
    { length: groups },
    (_, g) =>
      `  - id: ${groupName(g)}\n    allocation: { size: ${size} }\n    instance: { plugin: simulator }\n` +
      '    flavor: { plugin: test }\n    health: { grace: 1s, unhealthyAfter: 5s }\n',
  ).join('')}`;

interface SizeResult {
  groups: number;
  size: number;
  instances: number;
  convergeS: number | null;
  convergeFloorS: number;
  cpuMsPerRound: number;
  loopDelayP99Ms: number;
  /** Event-loop utilization over the steady window (0–1): how much of the loop the rounds leave. */
  loopBusy: number;
  roundsPerGroupPerS: number | null;
  reconcileMeanMs: number | null;
  rssMb: number;
  statusMedianMs: number | null;
  statusBytes: number;
  healWatchMedianMs: number | null;
  healWatchMaxMs: number | null;
  healSilentMedianMs: number | null;
  healSilentMaxMs: number | null;
  /** The machine's 1-minute load average when this size's measurements ended. */
  load1: number;
}

let statusErrors = 0;

/** One GET /v1/status; a reset connection (a kept-alive socket the server just closed) is retried. */
async function statusOnce(url: string, token: string): Promise<{ ms: number; bytes: number; body: unknown }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statusAttempt(url, token);
    } catch (error) {
      statusErrors++;
      if (attempt >= 3) throw error;
    }
  }
}

async function statusAttempt(
  url: string,
  token: string,
): Promise<{ ms: number; bytes: number; body: unknown }> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`status answered ${response.status}: ${text.slice(0, 200)}`);
  return { ms, bytes: Buffer.byteLength(text), body: JSON.parse(text) };
}

function allConverged(body: unknown, groups: number, size: number): boolean {
  const list = (body as { groups?: Array<{ phase?: string; healthy?: number; desired?: number }> }).groups;
  if (!Array.isArray(list) || list.length !== groups) return false;
  return list.every((g) => g.phase === 'converged' && g.healthy === size);
}

/** When each group's last provision returned (performance.now()), told by reportingCreations. */
const lastCreated = new Map<string, number>();

/**
 * Loses one instance of `group` and times it until the replacement's provision returned; then
 * checks the group is whole again (the size back, without the victim). Null when it was not.
 */
async function heal(
  sim: SimulatorPlugin,
  group: string,
  size: number,
  silent: boolean,
): Promise<number | null> {
  const tags = { [TAG_GROUP]: group };
  const before = await sim.describeInstances(tags);
  const victim = before[0]?.id as InstanceId | undefined;
  if (victim === undefined || before.length !== size) return null;
  const started = performance.now();
  sim.vanish(victim, { silent });
  for (;;) {
    if (performance.now() - started > 120_000) return null;
    const now = await sim.describeInstances(tags);
    const createdAt = lastCreated.get(group) ?? 0;
    if (now.length === size && !now.some((d) => d.id === victim) && createdAt > started)
      return createdAt - started;
    await sleep(5);
  }
}

/**
 * With BENCH_PROFILE=DIR, a CPU profile of the steady-state window only (the converge would
 * drown it), written to DIR/scale-GxS.cpuprofile for Chrome's or VS Code's profiler.
 */
async function startProfile(label: string): Promise<() => Promise<void>> {
  const dir = process.env.BENCH_PROFILE;
  if (dir === undefined) return async () => {};
  const { Session } = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(`${dir}/scale-${label}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
    progress(`${label}: steady-state profile in ${dir}/scale-${label}.cpuprofile`);
  };
}

async function runSize(groups: number, size: number): Promise<SizeResult> {
  const instances = groups * size;
  const sim = createSimulatorPlugin({
    clock: systemClock,
    seed: 17,
    rateLimits: {
      validate: 'unlimited',
      provision: 'unlimited',
      label: 'unlimited',
      destroy: 'unlimited',
      describe: 'unlimited',
    },
  });
  const manager = await Manager.create({
    name: 'scale',
    store: new MemoryStore(),
    resolver: resolverFor(sim, (group) => lastCreated.set(group, performance.now())),
    leadership: ({ address }) => new StaticLeadership({ name: 'scale', address }),
    listen: { port: 0 },
    defaultAuthor: 'bench',
    maxGroupSize: Math.max(10_000, size),
    ...(raisedRate === undefined
      ? {}
      : { pluginLimits: { ratePerSec: raisedRate, burst: raisedRate, concurrency: 8 } }),
  });
  manager.start();
  while (!manager.isLeader()) await sleep(10);
  const url = manager.address;
  const token = manager.localToken;
  const floorS = instances / provisionRate;
  const limitS = Number(process.env.BENCH_CONVERGE_LIMIT_S ?? Math.max(120, floorS * 3));
  let convergeS: number | null = null;
  const started = performance.now();
  try {
    await manager.apply(document(groups, size), { author: 'bench', reason: 'scale' });
    for (;;) {
      const { body } = await statusOnce(url, token);
      if (allConverged(body, groups, size)) {
        convergeS = round((performance.now() - started) / 1000);
        break;
      }
      if (performance.now() - started > limitS * 1000) break;
      await sleep(1000);
    }
    progress(`${groups}x${size}: converged ${convergeS ?? `no, not within ${limitS} s`}`);
    // Steady state: CPU and event-loop delay over a quiet window.
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const cpuBefore = process.cpuUsage();
    const loopBefore = performance.eventLoopUtilization();
    const wallBefore = performance.now();
    const steadyFrom = Date.now();
    const stopProfile = await startProfile(`${groups}x${size}`);
    await sleep(steadySeconds * 1000);
    // Rounds are counted in the manager's closed 10 s intervals that lie wholly in this window (a
    // last interval reaching back into the converge counted its long, provisioning ticks): wait
    // for one, at most 21 s more.
    const inWindow = () =>
      manager
        .metricsHistory()
        .points.filter((p) => p.partial !== true && p.at - manager.metricsHistory().intervalMs >= steadyFrom);
    for (let waited = 0; inWindow().length === 0 && waited < 21; waited++) await sleep(1000);
    await stopProfile();
    const cpu = process.cpuUsage(cpuBefore);
    const loopBusy = Math.round(performance.eventLoopUtilization(loopBefore).utilization * 100) / 100;
    const seconds = (performance.now() - wallBefore) / 1000;
    delay.disable();
    const cpuMsPerRound = round((cpu.user + cpu.system) / 1000 / seconds);
    const loopDelayP99Ms = round(delay.percentile(99) / 1e6);
    // Observe phases finished per group per second in those intervals (1.0 = every group kept its
    // 1 s round) and their mean time.
    const intervals = inWindow();
    const intervalS = manager.metricsHistory().intervalMs / 1000;
    const looks = intervals.reduce((n, p) => n + p.reconcile.count, 0);
    const roundsPerGroupPerS =
      intervals.length === 0
        ? null
        : Math.round((looks / (intervals.length * intervalS) / groups) * 100) / 100;
    const reconcileMeanMs =
      looks === 0
        ? null
        : round(intervals.reduce((ms, p) => ms + p.reconcile.meanMs * p.reconcile.count, 0) / looks);
    const rssMb = Math.round(process.memoryUsage().rss / 1024 / 1024);
    const statusTimes: number[] = [];
    let statusBytes = 0;
    for (let i = 0; i < statusReads; i++) {
      const { ms, bytes } = await statusOnce(url, token);
      statusTimes.push(ms);
      statusBytes = bytes;
    }
    progress(`${groups}x${size}: status median ${median(statusTimes)} ms, ${statusBytes} bytes`);
    const watch: number[] = [];
    const silent: number[] = [];
    for (let i = 0; i < heals; i++) {
      // Victims in different groups, spread over the fleet; a pause lets the group settle again.
      const group = groupName(Math.floor(((i + 0.5) * groups) / heals) % groups);
      const w = await heal(sim, group, size, false);
      if (w !== null) watch.push(w);
      progress(
        `${groups}x${size}: heal ${i + 1} watch ${w === null ? 'none within 120 s' : `${round(w)} ms`}`,
      );
      await sleep(1500);
      const s = await heal(sim, group, size, true);
      if (s !== null) silent.push(s);
      progress(
        `${groups}x${size}: heal ${i + 1} silent ${s === null ? 'none within 120 s' : `${round(s)} ms`}`,
      );
      await sleep(1500);
    }
    return {
      groups,
      size,
      instances,
      convergeS,
      convergeFloorS: round(floorS),
      cpuMsPerRound,
      loopDelayP99Ms,
      loopBusy,
      roundsPerGroupPerS,
      reconcileMeanMs,
      rssMb,
      statusMedianMs: median(statusTimes),
      statusBytes,
      healWatchMedianMs: median(watch),
      healWatchMaxMs: watch.length === 0 ? null : round(Math.max(...watch)),
      healSilentMedianMs: median(silent),
      healSilentMaxMs: silent.length === 0 ? null : round(Math.max(...silent)),
      load1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    };
  } finally {
    await manager.stop();
    await sim.close();
  }
}

console.log(
  `scale: one manager on the simulator (its own limits off), ${raisedRate === undefined ? 'default plugin limits (20 provisions/s)' : `plugin limits raised to ${raisedRate}/s`}, real clock, ${cpus().length} cores`,
);
console.log(
  'size        converge s (floor)  cpu ms/round  rounds/group/s  loop p99 ms  loop busy  rss MB  status ms  status bytes  heal watch ms (max)  heal silent ms (max)  load',
);
const results: SizeResult[] = [];
for (const { groups, size } of sizes) {
  const r = await runSize(groups, size);
  results.push(r);
  console.log(
    `${`${groups}x${size}`.padEnd(12)}${`${r.convergeS ?? 'no'} (${r.convergeFloorS})`.padStart(18)}` +
      `${String(r.cpuMsPerRound).padStart(14)}${String(r.roundsPerGroupPerS).padStart(16)}${String(r.loopDelayP99Ms).padStart(13)}${String(r.loopBusy).padStart(11)}${String(r.rssMb).padStart(8)}` +
      `${String(r.statusMedianMs).padStart(11)}${String(r.statusBytes).padStart(14)}` +
      `${`${r.healWatchMedianMs} (${r.healWatchMaxMs})`.padStart(21)}${`${r.healSilentMedianMs} (${r.healSilentMaxMs})`.padStart(22)}${String(r.load1).padStart(6)}`,
  );
}
const find = (g: number, s: number) => results.find((r) => r.groups === g && r.size === s);
const big = find(1000, 100);
const heal10 = results.find((r) => r.groups === 10)?.healWatchMedianMs;
const heal1000 = results.find((r) => r.groups === 1000)?.healWatchMedianMs;
console.log(
  JSON.stringify({
    bench: 'scale',
    healMedianMs100k: big?.healWatchMedianMs ?? null,
    healSilentMedianMs100k: big?.healSilentMedianMs ?? null,
    statusMedianMs100k: big?.statusMedianMs ?? null,
    statusBytes100k: big?.statusBytes ?? null,
    rssMb100k: big?.rssMb ?? null,
    convergeS100k: big?.convergeS ?? null,
    healRatio1000to10:
      heal10 !== undefined && heal10 !== null && heal1000 !== undefined && heal1000 !== null
        ? Math.round((heal1000 / heal10) * 100) / 100
        : null,
    provisionRatePerSec: provisionRate,
    statusErrors,
    limits: raisedRate === undefined ? 'default' : 'raised',
    sizes: results,
    ...machine.finish(),
  }),
);
