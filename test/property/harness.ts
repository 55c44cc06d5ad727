// A seeded scenario for the group controller on the simulator: converge, then a fault phase
// (optionally with a rollout and a leader change), then faults off and converge again — checking invariants after
// every provider call. Used by group-controller.property.test.ts.
import {
  type ControllerJournal,
  createGroupController,
  createPluginLimiter,
  type GroupController,
  memoryJournal,
} from '../../src/group/index.js';
import { createRandom, type Random, randomInt, VirtualClock } from '../../src/lib/index.js';
import {
  createSimulatorPlugin,
  noFaults,
  type SimulatorFaults,
  simulatedHealthOf,
} from '../../src/plugins/instance/simulator/index.js';
import {
  type FlavorPlugin,
  type GroupSpec,
  groupId,
  type InstancePlugin,
  logicalId,
  TAG_CONFIG,
  TAG_GROUP,
  TAG_OP,
} from '../../src/spi/index.js';

export const TIMING = {
  tickMs: 1_000,
  graceMs: 2_000,
  unhealthyAfterMs: 3_000,
  healthyForMs: 2_000,
  coolDownMs: 20_000,
  /** Cap of the loop's backoff (controller.ts) and of replacement pacing (breaker/verdicts.ts). */
  backoffCapMs: 30_000,
  stableFloorMs: 10_000, // STABLE_FLOOR_MS (stability.ts)
  appearWithinMs: 10_000, // APPEAR_WITHIN_MS (stability.ts)
  provisionRatePerSec: 10,
};

/**
 * The convergence bound, in virtual ms after the faults stop. Each term is a wait the design
 * allows, summed as if they happened one after another (worst case):
 *  - one backoff nap of the loop (≤ cap + tick), or the pacing (≤ cap) after a failed replacement
 *    counted up to appearWithin after the faults stop (an instance that vanished unseen);
 *  - an open breaker's cool-down, a tick for the half-open trial, its verdict once that is stable;
 *  - unhealthy instances: grace + unhealthyAfter before each is replaced, one per maxInFlight
 *    round (each round ≤ 3 ticks), for at most `size` instances;
 *  - a rollout (or rollback): `size` steps, each ≤ healthyFor + 3 ticks;
 *  - provisions at the simulator's rate: size / rate seconds.
 */
export function convergenceBoundMs(size: number): number {
  const t = TIMING;
  const loop = t.backoffCapMs + Math.max(t.tickMs, t.appearWithinMs);
  const stable = Math.max(t.graceMs, t.healthyForMs, t.stableFloorMs) + t.tickMs;
  const breaker = t.coolDownMs + t.tickMs + stable;
  const heal = t.graceMs + t.unhealthyAfterMs + size * 3 * t.tickMs;
  const rollout = size * (t.healthyForMs + 3 * t.tickMs);
  const rate = (size * 1_000) / t.provisionRatePerSec;
  return loop + breaker + heal + rollout + rate;
}

export interface Scenario {
  seed: number;
  spec: GroupSpec;
  v2: GroupSpec;
  rollout: boolean;
  /** A leader change happens during the fault phase. */
  failover: boolean;
  /** Only call faults: no instance vanishes or sickens, so availability is the controller's doing. */
  calm: boolean;
  faults: SimulatorFaults;
}

export function scenario(seed: number): Scenario {
  const r = createRandom(seed);
  const logical = r() < 0.3;
  const n = logical ? randomInt(r, 1, 5) : randomInt(r, 1, 7);
  const maxUnavailable = logical ? randomInt(r, 0, 1) : randomInt(r, 0, 2);
  const maxSurge = maxUnavailable === 0 ? randomInt(r, 1, 2) : randomInt(r, 0, 2);
  const calm = r() < 0.4;
  const spec = (image: string): GroupSpec => ({
    id: groupId(`g${seed}`),
    allocation: logical
      ? { logicalIds: Array.from({ length: n }, (_, i) => logicalId(`m${i}`)) }
      : { size: n },
    instance: { plugin: 'simulator', properties: { image } },
    flavor: { plugin: 'test' },
    health: {
      graceMs: TIMING.graceMs,
      unhealthyAfterMs: TIMING.unhealthyAfterMs,
      maxInFlight: randomInt(r, 1, 2),
    },
    update: {
      maxSurge,
      maxUnavailable,
      healthyForMs: TIMING.healthyForMs,
      timeoutMs: 120_000,
      onFailure: r() < 0.5 ? 'pause' : 'rollback',
    },
    scaleIn: { order: (['oldest', 'newest', 'unhealthy-first'] as const)[randomInt(r, 0, 2)] ?? 'oldest' },
  });
  const rate = (max: number) => Math.round(r() * max * 1_000) / 1_000;
  const faults: SimulatorFaults = {
    provisionFailureRate: rate(0.3),
    lostResponseRate: rate(0.2),
    describeFailureRate: rate(0.3),
    vanishRate: calm ? 0 : rate(0.02),
    unhealthyRate: calm ? 0 : rate(0.02),
  };
  return {
    seed,
    spec: spec('app:1'),
    v2: spec('app:2'),
    rollout: r() < 0.6,
    failover: r() < 0.4,
    calm,
    faults,
  };
}

export interface RunResult {
  violations: string[];
  /** Virtual ms from faults off to converged (undefined: not within the bound). */
  convergedAfterMs: number | undefined;
  boundMs: number;
  calls: number;
  throttled: number;
}

export async function run(s: Scenario): Promise<RunResult> {
  const clock = new VirtualClock({ start: 1_000_000 });
  const sim = createSimulatorPlugin({
    clock,
    seed: s.seed,
    rateLimits: {
      provision: { ratePerSec: TIMING.provisionRatePerSec, burst: 10 },
      destroy: { ratePerSec: 20, burst: 20 },
      describe: 'unlimited',
    },
  });
  const size = 'size' in s.spec.allocation ? s.spec.allocation.size : s.spec.allocation.logicalIds.length;
  const violations: string[] = [];
  const check = checker(s, size, sim, violations);
  const plugin = instrumented(sim, s.spec.id, check, violations);
  const journal: ControllerJournal = memoryJournal();
  const limiter = createPluginLimiter({ ratePerSec: 20, burst: 20, concurrency: 8, clock });
  // A leader: a controller started with its own abort signal; failover starts the next one with
  // the latest spec, the same journal and a higher epoch.
  const lead = (spec: GroupSpec, epoch: number) => {
    const leadership = new AbortController();
    const controller = createGroupController({
      spec,
      instancePlugin: plugin,
      flavorPlugin: testFlavor,
      journal,
      epoch,
      clock,
      limiter,
      random: createRandom(s.seed ^ epoch),
      tickIntervalMs: TIMING.tickMs,
      breaker: { threshold: 5, coolDownMs: TIMING.coolDownMs },
    });
    controller.start(leadership.signal);
    return { controller, leadership };
  };
  let leader = lead(s.spec, 1);
  const boundMs = convergenceBoundMs(size);
  const first = await waitConverged(leader.controller, sim, clock, size, boundMs);
  if (first === undefined) violations.push('initial convergence exceeded the bound');

  sim.setFaults(s.faults);
  const r = createRandom(s.seed + 1);
  if (s.rollout) {
    check.rolling = true;
    await clock.advance(randomInt(r, 0, 5_000));
    leader.controller.update(s.v2);
  }
  const failoverAt = s.failover ? randomInt(r, 1, 79) * 500 : -1;
  for (let t = 0; t < 40_000; t += 500) {
    if (t === failoverAt) {
      // Leadership lost mid-flight: every call aborts; the successor resumes from the journal.
      leader.leadership.abort();
      await leader.controller.stop();
      leader = lead(s.rollout ? s.v2 : s.spec, 2);
    }
    await clock.advance(500);
  }
  sim.setFaults(noFaults);
  const controller = leader.controller;
  const convergedAfterMs = await waitConverged(controller, sim, clock, size, boundMs);
  if (process.env.TEND_PROPERTY_DEBUG !== undefined && convergedAfterMs === undefined) {
    const { instances: _omit, ...status } = controller.status();
    violations.push(
      `debug: ${JSON.stringify(status)} live ${JSON.stringify(sim.instances().map((i) => [i.id, i.logicalId, i.health, i.tags[TAG_CONFIG]]))}`,
    );
  }
  check.rolling = false;
  leader.leadership.abort();
  await controller.stop();
  await sim.close();
  const stats = limiter.stats();
  return { violations, convergedAfterMs, boundMs, calls: stats.calls, throttled: stats.throttled };
}

const testFlavor: FlavorPlugin = {
  validate: async () => {},
  prepare: async (_p, spec) => spec,
  healthy: async (_p, instance) => simulatedHealthOf(instance),
  drain: async () => {},
};

type Sim = ReturnType<typeof createSimulatorPlugin>;

/** Steps virtual time until the group is converged on its target; resumes a paused rollout once. */
async function waitConverged(
  controller: GroupController,
  sim: Sim,
  clock: VirtualClock,
  size: number,
  bound: number,
) {
  const start = clock.now();
  while (clock.now() - start <= bound) {
    const status = controller.status();
    if (status.paused) controller.resume(); // the operator's answer to a paused rollout, once faults are gone
    const live = sim.instances();
    const done =
      status.phase === 'converged' &&
      live.length === size &&
      live.every((i) => i.health === 'healthy' && i.tags[TAG_CONFIG] === status.config);
    if (done) return clock.now() - start;
    await clock.advance(250);
  }
  return undefined;
}

interface Checker {
  (): void;
  rolling: boolean;
}

function checker(s: Scenario, size: number, sim: Sim, violations: string[]): Checker {
  const { maxSurge, maxUnavailable } = s.spec.update;
  const check = (() => {
    const live = sim.instances();
    if (live.length > size + maxSurge)
      violations.push(`live ${live.length} > size ${size} + surge ${maxSurge}`);
    const orphan = live.find((i) => i.tags[TAG_GROUP] !== s.spec.id);
    if (orphan !== undefined) violations.push(`orphan ${orphan.id} without the group tag`);
    const ops = live.map((i) => i.tags[TAG_OP]);
    if (new Set(ops).size !== ops.length) violations.push(`two live instances share an idempotency key`);
    if (check.rolling && s.calm) {
      const healthy = live.filter((i) => i.health === 'healthy').length;
      if (healthy < size - maxUnavailable)
        violations.push(`rollout left ${healthy} healthy < ${size} - ${maxUnavailable}`);
    }
  }) as Checker;
  check.rolling = false;
  return check;
}

/** Wraps the simulator to check invariants after each mutating call and to log describe outcomes. */
function instrumented(sim: Sim, group: string, check: () => void, violations: string[]): InstancePlugin {
  let lastDescribeOk = false;
  return {
    validate: (p, o) => sim.validate(p, o),
    label: (id, l, o) => sim.label(id, l, o),
    watch: (listener) => sim.watch(listener),
    async provision(spec, options) {
      try {
        return await sim.provision(spec, options);
      } finally {
        check();
      }
    },
    async destroy(id, context, options) {
      if (!lastDescribeOk) violations.push(`destroy of ${id} on a tick whose describe failed`);
      try {
        return await sim.destroy(id, context, options);
      } finally {
        check();
      }
    },
    async describeInstances(tags, options) {
      const groupDescribe = Object.keys(tags).length === 1 && tags[TAG_GROUP] === group;
      try {
        const found = await sim.describeInstances(tags, options);
        if (groupDescribe) lastDescribeOk = true;
        return found;
      } catch (error) {
        if (groupDescribe) lastDescribeOk = false;
        throw error;
      }
    },
  };
}

export type { Random };
