// 200 instances from zero on the `ec2` plugin, against a real moto_server behind the throttling
// proxy (test/support/ec2-throttle-proxy.ts) with EC2's documented buckets, time sped up by
// BENCH_SCALE (refill rates × S, tick interval and limiter rates likewise; default 1 = EC2's real
// rates). Clock: WALL (real HTTP to moto, so a loaded machine slows moto too).
// Floor = the time RunInstances' resource bucket needs to admit 200 launches; it starts EMPTY (an
// account that has just spent its burst), else 1000 tokens would admit all 200 at once.
// Runs: 1 group of 200 and 50 groups of 4; the limiter told the real launch rate and twice that.
// Set up as the manager sets up an `ec2` plugin: cloud pacing, groups ticking in step, one
// describe coalescer (at most one call per tick interval). Describes per tick = describe API
// requests of the groups' ticks per tick interval once converged (and while converging).
// Run: npm run bench -- ec2-converge   (BENCH_SCALE, BENCH_SIZE, BENCH_LIMIT_RATE, BENCH_RUNS=1x1,50x2,
// BENCH_CAP=floors before a run is cut off; last line: JSON)
import { loadavg } from 'node:os';
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import {
  ALIGNED_GATHER_MS,
  createDescribeCoalescer,
  createGroupController,
  createPluginLimiter,
  type GroupController,
  memoryJournal,
  type PluginLimiter,
} from '../src/group/index.js';
import { createRandom } from '../src/lib/index.js';
import { createEc2Plugin } from '../src/plugins/instance/ec2/index.js';
import { type FlavorPlugin, type GroupSpec, groupId, type InstancePlugin, TAG_OP } from '../src/spi/index.js';
import { EC2_DEFAULT_BUCKETS, floorSeconds, scaleEc2Buckets } from '../test/support/ec2-buckets.js';
import { createEc2Proxy, type Ec2ProxyStats } from '../test/support/ec2-throttle-proxy.js';
import {
  MOTO_ACCESS_KEY,
  MOTO_AMI,
  MOTO_REGION,
  MOTO_SECRET_KEY,
  type MotoServer,
  startMoto,
} from '../test/support/moto.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);
const size = Number(process.env.BENCH_SIZE ?? 200);
const buckets = scaleEc2Buckets(EC2_DEFAULT_BUCKETS, scale);
buckets.runInstances = { ...buckets.runInstances, initial: 0 };
const floorS = floorSeconds(buckets.runInstances, size);
/** Tend's default tick (1 s), sped up like the buckets. */
const tickMs = 1_000 / scale;
/**
 * What the limiter is told at real speed, then × scale: by default the real rate of the call that
 * bounds this run, one provision per RunInstances token (2/s). A run that converges ticks only a
 * few times (the first tick's provisions run inside it), so describes hardly share that budget.
 */
const realLimits = {
  ratePerSec: Number(process.env.BENCH_LIMIT_RATE ?? buckets.runInstances.refillPerSec / scale),
  burst: 10,
  concurrency: 8,
  // As the `ec2` kind sets it (src/cli/plugin-config/kinds/ec2.ts).
  pacing: 'cloud' as const,
};
/** Tick intervals after convergence over which the steady state's describes per tick are counted. */
const steadyTicks = 20;
/** A run that has not converged by this many floors is cut off and reported as not converged. */
const capFactor = Number(process.env.BENCH_CAP ?? 3);

const flavor: FlavorPlugin = {
  validate: async () => {},
  prepare: async (_p, spec) => spec,
  healthy: async () => 'healthy',
  drain: async () => {},
};

function spec(id: string, n: number): GroupSpec {
  return {
    id: groupId(id),
    allocation: { size: n },
    instance: { plugin: 'ec2', properties: { imageId: MOTO_AMI, instanceType: 't3.micro' } },
    flavor: { plugin: 'bench' },
    health: { graceMs: 30_000, unhealthyAfterMs: 20_000, maxInFlight: 1 },
    update: {
      maxSurge: 1,
      maxUnavailable: 0,
      healthyForMs: 10_000,
      timeoutMs: 600_000,
      onFailure: 'rollback',
    },
    scaleIn: { order: 'oldest' },
  };
}

/**
 * The API requests a describe tick costs: DescribeInstances without a `tag:tend.op` filter (the
 * group's view; a `tend.op` filter is a provision's look-up for its own instance) and
 * DescribeInstanceStatus (the status checks the describe asks for).
 */
function isTickDescribe(action: string, params: URLSearchParams): boolean {
  if (action === 'DescribeInstanceStatus') return true;
  if (action !== 'DescribeInstances') return false;
  for (const [key, value] of params)
    if (/^Filter\.\d+\.Name$/.test(key) && value === `tag:${TAG_OP}`) return false;
  return true;
}

/** Times each provision inside the limiter: what EC2 (here moto, on this machine) takes to answer. */
function timingProvisions(plugin: InstancePlugin, counter: { provisionMs: number[] }): InstancePlugin {
  return {
    validate: (p, o) => plugin.validate(p, o),
    provision: async (spec, o) => {
      const start = performance.now();
      try {
        return await plugin.provision(spec, o);
      } finally {
        counter.provisionMs.push(performance.now() - start);
      }
    },
    label: (id, labels, o) => plugin.label(id, labels, o),
    destroy: (id, context, o) => plugin.destroy(id, context, o),
    describeInstances: (tags, o) => plugin.describeInstances(tags, o),
  };
}

interface Result {
  groups: number;
  limiterRate: number;
  convergedS: number | null;
  ratio: number | null;
  requests: number;
  throttledShare: number;
  throttledBy: Ec2ProxyStats['throttledBy'];
  runInstances: number;
  /**
   * Describe API requests of the groups' ticks per tick interval, over the `steadyTicks`
   * intervals after convergence: every group at size and ticking, the state a fleet spends its
   * life in. One group of 200 and 50 of 4 hold the same instances, so a merged describe costs
   * both the same; unmerged, 50 groups would cost 50 describes.
   */
  describesPerTick: number | null;
  /** The same while converging (convergence time ÷ tick interval); a group provisioning does not tick. */
  describesPerTickConverging: number | null;
  /** Group describes asked for (ticks of all groups) over the whole run. */
  groupTicks: number;
  /** Merged describe calls the coalescer made. */
  describeCalls: number;
  finalLimiterRate: number;
  /** Median time of one provision call (look-up + RunInstances through proxy and moto). */
  provisionMsP50: number;
  /** Where an unconverged run stood when cut off: instances seen, and a group's last error. */
  observedAtEnd: number;
  lastError?: string;
}

async function converge(moto: MotoServer, groups: number, limiterRate: number): Promise<Result> {
  await moto.reset();
  let tickDescribes = 0;
  const counter = { ticks: 0, provisionMs: [] as number[] };
  const proxy = await createEc2Proxy({
    target: moto.endpoint,
    seed: 13,
    buckets,
    onRequest: (action, params) => {
      if (isTickDescribe(action, params)) tickDescribes += 1;
    },
  });
  const plugin = createEc2Plugin({
    endpoint: proxy.url,
    region: MOTO_REGION,
    credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
  });
  // One limiter for the plugin, shared by every group: EC2's quota is the account's.
  const limiter: PluginLimiter = createPluginLimiter({ ...realLimits, ratePerSec: limiterRate });
  const random = createRandom(7);
  // As the manager does for a cloud kind (#13 item 6): one describer per plugin, shared by its
  // groups, which tick in step, at most one call per tick interval: a tick costs one filtered,
  // paginated describe (src/manager/plugin-describers.ts).
  const coalescer = createDescribeCoalescer({
    plugin,
    limiter,
    windowMs: tickMs,
    gatherMs: ALIGNED_GATHER_MS,
  });
  const controllers: GroupController[] = [];
  for (let g = 0; g < groups; g++) {
    const n = Math.floor(size / groups) + (g < size % groups ? 1 : 0);
    controllers.push(
      createGroupController({
        spec: spec(`g${g}`, n),
        instancePlugin: timingProvisions(plugin, counter),
        describer: {
          describe: (tags, signal) => {
            counter.ticks += 1;
            return coalescer.describe(tags, signal);
          },
        },
        flavorPlugin: flavor,
        journal: memoryJournal(),
        epoch: 1,
        tickIntervalMs: tickMs,
        alignTicks: true,
        limiter,
        random,
      }),
    );
  }
  const stop = new AbortController();
  const started = performance.now();
  for (const c of controllers) c.start(stop.signal);
  const converged = () =>
    controllers.every((c) => {
      const s = c.status();
      return s.phase === 'converged' && s.observed === s.desired;
    });
  let convergedAt: number | undefined;
  while (performance.now() - started < capFactor * floorS * 1_000) {
    await new Promise((r) => setTimeout(r, 50));
    if (converged()) {
      convergedAt = performance.now();
      break;
    }
  }
  const during = proxy.stats();
  const statuses = controllers.map((c) => c.status());
  const lastError = statuses.find((st) => st.lastError !== undefined)?.lastError;
  // The steady state: every group at size, ticking in step.
  const converging = tickDescribes;
  if (convergedAt !== undefined) await new Promise((r) => setTimeout(r, steadyTicks * tickMs));
  const steady = tickDescribes - converging;
  stop.abort();
  await Promise.all(controllers.map((c) => c.stop()));
  await plugin.close();
  await proxy.close();
  const convergedS = convergedAt === undefined ? null : (convergedAt - started) / 1_000;
  const perTick = (describes: number, ms: number) => Number(((describes * tickMs) / ms).toFixed(2));
  return {
    groups,
    limiterRate,
    convergedS: convergedS === null ? null : Number(convergedS.toFixed(2)),
    ratio: convergedS === null ? null : Number((convergedS / floorS).toFixed(3)),
    requests: during.requests,
    throttledShare: Number((during.throttled / Math.max(1, during.requests)).toFixed(4)),
    throttledBy: during.throttledBy,
    runInstances: during.byAction.RunInstances?.requests ?? 0,
    describesPerTick: convergedS === null ? null : perTick(steady, steadyTicks * tickMs),
    describesPerTickConverging: convergedS === null ? null : perTick(converging, convergedS * 1_000),
    groupTicks: counter.ticks,
    describeCalls: coalescer.stats().calls,
    finalLimiterRate: Number(limiter.stats().ratePerSec.toFixed(2)),
    provisionMsP50: Math.round(median(counter.provisionMs)),
    observedAtEnd: statuses.reduce((sum, st) => sum + st.observed, 0),
    ...(convergedAt === undefined && lastError !== undefined ? { lastError } : {}),
  };
}

const moto = await startMoto();
// moto loads its EC2 backend (AMIs, instance types) on the first launch, ~10 s: not Tend's time.
await moto.client.send(new RunInstancesCommand({ ImageId: MOTO_AMI, MinCount: 1, MaxCount: 1 }));
const rate = realLimits.ratePerSec * scale;
/** groups × (limiter rate ÷ the kind's rate); BENCH_RUNS=1x1,50x1 picks some. */
const runs = (process.env.BENCH_RUNS ?? '1x1,50x1,1x2,50x2').split(',').map((r) => {
  const [groups, times] = r.split('x').map(Number);
  if (!(groups !== undefined && groups >= 1 && times !== undefined && times > 0))
    throw new Error(`BENCH_RUNS: expected GROUPSxTIMES like 50x2, got ${r}`);
  return [groups, times] as const;
});
const results: Result[] = [];
try {
  for (const [groups, times] of runs) results.push(await converge(moto, groups, times * rate));
} finally {
  await moto.stop();
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
console.log(
  `ec2-converge: ${size} instances from zero on ec2 → throttling proxy → moto_server; WALL clock; ` +
    `EC2 buckets × ${scale} (RunInstances ${buckets.runInstances.refillPerSec}/s from empty, ` +
    `describe ${buckets.nonMutating.capacity} / ${buckets.nonMutating.refillPerSec}/s); tick ${tickMs} ms; floor ${floorS} s`,
);
console.log(
  'groups   limiter   converged s   ratio   requests   throttled   RunInstances   describes/tick (converging)   limiter end',
);
for (const r of results) {
  console.log(
    [
      String(r.groups).padStart(6),
      `${r.limiterRate}/s`.padStart(9),
      String(r.convergedS).padStart(13),
      String(r.ratio).padStart(7),
      String(r.requests).padStart(10),
      pct(r.throttledShare).padStart(11),
      String(r.runInstances).padStart(14),
      `${r.describesPerTick ?? '—'} (${r.describesPerTickConverging ?? '—'})`.padStart(29),
      `${r.finalLimiterRate}/s`.padStart(13),
    ].join(''),
  );
  console.log(
    `        provision call p50 ${r.provisionMsP50} ms; ${r.groupTicks} group describes in ` +
      `${r.describeCalls} merged calls; throttled by ${JSON.stringify(r.throttledBy)}`,
  );
  if (r.convergedS === null)
    console.log(
      `        not converged: ${r.observedAtEnd} of ${size} seen; last error: ${r.lastError ?? 'none'}`,
    );
}
const find = (groups: number, times: number) =>
  results.find((r) => r.groups === groups && r.limiterRate === times * rate);
const [one, fifty, oneOver, fiftyOver] = [find(1, 1), find(50, 1), find(1, 2), find(50, 2)];
console.log(
  JSON.stringify({
    bench: 'ec2-converge',
    clock: 'wall',
    size,
    scale,
    floorS,
    tickMs,
    limiterRatePerSec: rate,
    ratio: one?.ratio,
    throttledShare: one?.throttledShare,
    describesPerTick1: one?.describesPerTick,
    describesPerTick50: fifty?.describesPerTick,
    describesPerTickConverging1: one?.describesPerTickConverging,
    describesPerTickConverging50: fifty?.describesPerTickConverging,
    ratio50: fifty?.ratio,
    throttledShare50: fifty?.throttledShare,
    overestimatedRatio: oneOver?.ratio,
    overestimatedThrottledShare: oneOver?.throttledShare,
    overestimatedRatio50: fiftyOver?.ratio,
    overestimatedThrottledShare50: fiftyOver?.throttledShare,
    loadavg1: Number((loadavg()[0] ?? 0).toFixed(2)),
  }),
);
