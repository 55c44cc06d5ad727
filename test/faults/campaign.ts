// One campaign seed on a world (file or etcd setup, see setup.ts): the world's `steady` group is
// the canary, never touched by the campaign; the seed adds `work-<seed>` (scaled, rolled, destroyed
// and re-created) and `edge-<seed>` (behind the hostile plugin) and runs a few steps, each an
// operation with one fault injected at a random moment into it. After every step the world must
// settle; at the end the epochs are checked, the seed's groups destroyed (nothing of them may stay
// alive) and their committed history compared with what the seed committed. Every random choice
// comes from the seed. A world is reused by the next seed while it is clean, which keeps a long
// campaign short; `--seed N` runs one seed in a fresh world.
import { setTimeout as sleep } from 'node:timers/promises';
import { createRandom, randomInt } from '../../src/lib/index.js';
import type { EtcdCluster } from '../support/etcd.js';
import { type FaultContext, type FaultKind, faultsFor, injectFault } from './faults.js';
import { type GroupModel, MAX_SURGE, newGroup } from './model.js';
import { epochViolations, Monitor, type Violation } from './monitor.js';
import { applyAll, chooseOp, commit, runOp } from './ops.js';
import { checkHistory, settle } from './settle.js';
import { createSetup, type Setup, type SetupKind } from './setup.js';

/** Managers, plugins and the canary group, shared by consecutive seeds while nothing went wrong. */
export interface World {
  setup: Setup;
  steady: GroupModel;
}

export async function createWorld(kind: SetupKind, etcd?: EtcdCluster): Promise<World> {
  const setup = await createSetup({ kind, ...(etcd ? { etcd } : {}) });
  const steady = newGroup('steady', 'process', 2);
  steady.exists = true;
  steady.bound = steady.size + MAX_SURGE;
  const monitor = new Monitor(setup, [steady], setup.controlUrl);
  try {
    await applyAll(setup, [steady]);
    await settle(setup, monitor, [steady]);
  } finally {
    await monitor.stop();
  }
  // Status latency counts from a seed's first operation on: while the world boots, the managers
  // load code on first use (tsx compiles each module then), which is start-up, not service.
  const problems = monitor.violations.filter((v) => v.invariant !== 'status-latency');
  if (problems.length > 0) {
    await setup.stop();
    throw new Error(`the world did not start clean: ${JSON.stringify(problems)}`);
  }
  return { setup, steady };
}

export interface SeedOptions {
  seed: number;
  setup: SetupKind;
  /** Steps (one operation and one fault each). Default 5. */
  steps?: number;
  /** A running etcd to share between seeds (etcd setup); one is started otherwise. */
  etcd?: EtcdCluster;
  /** A world left clean by the previous seed; without it the seed makes (and stops) its own. */
  world?: World;
  /** Only these fault kinds (default: every kind the setup allows). */
  faults?: readonly FaultKind[];
  /** Progress lines, e.g. console.log. */
  log?: (line: string) => void;
}

export interface SeedResult {
  seed: number;
  setup: SetupKind;
  faults: Array<{ kind: FaultKind; what: string }>;
  violations: Violation[];
  durationMs: number;
  statusProbes: number;
  starvedProbes: number;
  maxStatusMs: number;
  instancesSeen: number;
}

export interface SeedRun {
  result: SeedResult;
  /** The world, fit for the next seed; undefined when this seed left it damaged (it was stopped). */
  world: World | undefined;
}

/** The one-line command that runs `seed` again, alone. */
export function reproduction(
  seed: number,
  setup: SetupKind,
  steps: number,
  faults?: readonly FaultKind[],
): string {
  const only = faults === undefined ? '' : ` --faults ${faults.join(',')}`;
  return `npm run bench -- faults --seed ${seed} --setup ${setup} --steps ${steps}${only}`;
}

export async function runSeed(options: SeedOptions): Promise<SeedRun> {
  const started = Date.now();
  const random = createRandom(options.seed);
  const steps = options.steps ?? 5;
  const log = options.log ?? (() => undefined);
  const available = faultsFor(options.setup).filter((f) => options.faults?.includes(f) ?? true);
  if (available.length === 0) {
    throw new Error(`no fault kind of ${options.faults?.join(',')} fits setup ${options.setup}`);
  }
  const world = options.world ?? (await createWorld(options.setup, options.etcd));
  const { setup, steady } = world;
  const work = newGroup(`work-${options.seed}`, 'process', randomInt(random, 1, 3));
  const edge = newGroup(`edge-${options.seed}`, 'hostile', 2);
  const groups = [steady, work, edge];
  for (const g of [work, edge]) {
    g.exists = true;
    g.bound = g.size + MAX_SURGE;
  }
  const monitor = new Monitor(setup, groups, setup.controlUrl);
  const faults: SeedResult['faults'] = [];
  const ctx: FaultContext = { setup, monitor, random, groups, canary: steady };
  let clean = false;
  try {
    await applyAll(setup, groups);
    await settle(setup, monitor, groups);
    for (let step = 1; step <= steps; step++) {
      monitor.step = step;
      const op = chooseOp(random, work);
      const kind = available[Math.floor(random() * available.length)] ?? 'kill-manager';
      const delayMs = randomInt(random, 0, 1200);
      const stepStarted = Date.now();
      monitor.fault = kind;
      const [opText, what] = await Promise.all([
        runOp(setup, groups, work, op, random),
        (async () => {
          await sleep(delayMs);
          return injectFault(ctx, kind);
        })(),
      ]);
      faults.push({ kind, what });
      await settle(setup, monitor, groups);
      const took = ((Date.now() - stepStarted) / 1000).toFixed(1);
      log(
        `seed ${options.seed} step ${step}: ${opText}; fault after ${delayMs} ms: ${what}; settled in ${took} s`,
      );
    }
    monitor.step = steps + 1;
    monitor.fault = 'none (end)';
    for (const detail of epochViolations(monitor.seen.values())) monitor.violate('epoch-order', detail);
    for (const g of [work, edge].filter((x) => x.exists)) {
      g.exists = false;
      await commit(setup, `destroy ${g.id}`, async (client) => {
        g.attempts.push({ size: g.size, version: g.version, deleted: true, revision: undefined });
        const ok = await client.destroy(g.id, { reason: 'fault campaign: end of seed' });
        const last = g.attempts.at(-1);
        if (last !== undefined) last.revision = ok.revision;
      });
    }
    await settle(setup, monitor, groups);
    await checkHistory(setup, monitor, groups);
    clean = monitor.violations.length === 0;
  } finally {
    await monitor.stop();
    if (!clean || options.world === undefined) await setup.stop();
  }
  return {
    result: {
      seed: options.seed,
      setup: options.setup,
      faults,
      violations: monitor.violations,
      durationMs: Date.now() - started,
      statusProbes: monitor.statusProbes,
      starvedProbes: monitor.starvedProbes,
      maxStatusMs: monitor.maxStatusMs,
      instancesSeen: monitor.seen.size,
    },
    world: clean && options.world !== undefined ? world : undefined,
  };
}
