// 1,000 instances from zero on the simulator, whose provision API is rate limited to R/s
// (EC2-style token bucket). Time is VIRTUAL (VirtualClock): the figure is how close the
// controller gets to the provider's limit, not how fast this machine is. The bucket starts full,
// so the first `burst` provisions cost no wait: floor = (N − burst) / R s. The ratio is the time
// to CONVERGED (every instance created and the group's phase converged) over that floor.
// Two runs: the limiter told the provider's real rate, and told twice that (AIMD must find it).
// Run: node --import tsx bench/converge.ts   (BENCH_RATE=R, BENCH_SIZE=N; last line: JSON)
import { createGroupController, createPluginLimiter, memoryJournal } from '../src/group/index.js';
import { createRandom, VirtualClock } from '../src/lib/index.js';
import { createSimulatorPlugin, simulatedHealthOf } from '../src/plugins/instance/simulator/index.js';
import { type FlavorPlugin, groupId } from '../src/spi/index.js';
import { machineNote } from './_machine.js';

const machine = machineNote('virtual');

const rate = Number(process.env.BENCH_RATE ?? 20);
const size = Number(process.env.BENCH_SIZE ?? 1_000);
const burst = 10;
const flavor: FlavorPlugin = {
  validate: async () => {},
  prepare: async (_p, spec) => spec,
  healthy: async (_p, instance) => simulatedHealthOf(instance),
  drain: async () => {},
};

/** The provider's own minimum: the burst is free, the rest come at `rate` per second. */
function floorOf(instances: number): number {
  return (Math.max(0, instances - burst) * 1_000) / rate;
}

interface Result {
  limiterRate: number;
  createdS: number | null;
  convergedS: number | null;
  ratio: number | null;
  createdRatio: number | null;
  throttledShare: number;
  provisionCalls: number;
  wallS: number;
}

/** One run; `limiterRate` is what the limiter is told the provider allows (AIMD finds the rest). */
async function converge(limiterRate: number): Promise<Result> {
  const clock = new VirtualClock({ start: 0 });
  const sim = createSimulatorPlugin({
    clock,
    seed: 42,
    latencyMs: { min: 20, max: 80 },
    rateLimits: { provision: { ratePerSec: rate, burst }, describe: { ratePerSec: 20, burst: 100 } },
  });
  const limiter = createPluginLimiter({ ratePerSec: limiterRate, burst, concurrency: 32, clock });
  const controller = createGroupController({
    spec: {
      id: groupId('converge'),
      allocation: { size },
      instance: { plugin: 'simulator', properties: { image: 'app:1' } },
      flavor: { plugin: 'test' },
      health: { graceMs: 30_000, unhealthyAfterMs: 20_000, maxInFlight: 1 },
      update: {
        maxSurge: 1,
        maxUnavailable: 0,
        healthyForMs: 10_000,
        timeoutMs: 600_000,
        onFailure: 'rollback',
      },
      scaleIn: { order: 'oldest' },
    },
    instancePlugin: sim,
    flavorPlugin: flavor,
    journal: memoryJournal(),
    epoch: 1,
    clock,
    limiter,
    random: createRandom(7),
  });
  const floorMs = floorOf(size);
  const wallStart = performance.now();
  controller.start(new AbortController().signal);
  let createdAt: number | undefined;
  let convergedAt: number | undefined;
  while (convergedAt === undefined && clock.now() < 10 * floorMs) {
    await clock.advance(100);
    if (createdAt === undefined && sim.instances().length >= size) createdAt = clock.now();
    const status = controller.status();
    if (status.phase === 'converged' && status.observed === size) convergedAt = clock.now();
  }
  await controller.stop();
  await sim.close();
  const calls = sim.stats().calls.provision;
  const provisionCalls = calls.ok + calls.throttled + calls.error;
  return {
    limiterRate,
    createdS: createdAt === undefined ? null : createdAt / 1_000,
    convergedS: convergedAt === undefined ? null : convergedAt / 1_000,
    ratio: convergedAt === undefined ? null : Number((convergedAt / floorMs).toFixed(3)),
    createdRatio: createdAt === undefined ? null : Number((createdAt / floorMs).toFixed(3)),
    throttledShare: Number((calls.throttled / Math.max(1, provisionCalls)).toFixed(4)),
    provisionCalls,
    wallS: Number(((performance.now() - wallStart) / 1_000).toFixed(2)),
  };
}

const exact = await converge(rate);
const over = await converge(rate * 2);
const floorS = floorOf(size) / 1_000;
console.log(
  `converge: ${size} instances from zero; provider limit ${rate}/s (burst ${burst}); VIRTUAL clock; floor (N − burst)/R = ${floorS} s; ratio = converged / floor`,
);
console.log(
  'limiter told   all created s   converged s   ratio (created)   provision calls   throttled   wall s',
);
for (const r of [exact, over]) {
  console.log(
    `${`${r.limiterRate}/s`.padStart(12)}   ${String(r.createdS).padStart(13)}   ${String(r.convergedS).padStart(11)}   ${`${r.ratio} (${r.createdRatio})`.padStart(15)}   ${String(r.provisionCalls).padStart(15)}   ${`${(r.throttledShare * 100).toFixed(2)}%`.padStart(9)}   ${String(r.wallS).padStart(6)}`,
  );
}
console.log(
  JSON.stringify({
    bench: 'converge',
    size,
    ratePerSec: rate,
    floorS,
    ratio: exact.ratio,
    throttledShare: exact.throttledShare,
    convergedS: exact.convergedS,
    createdRatio: exact.createdRatio,
    overestimatedRatio: over.ratio,
    overestimatedThrottledShare: over.throttledShare,
    ...machine.finish(),
  }),
);
