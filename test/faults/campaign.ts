// One campaign seed: a fresh world (file or etcd setup), three groups — `steady` (the canary, never
// touched by the campaign), `work` (scaled, rolled, destroyed and re-created) and `edge` (behind the
// hostile plugin) — and a few steps, each an operation with one fault injected at a random moment
// into it. After every step the world must settle; at the end the epochs and the committed history
// are checked. Every random choice comes from the seed, so a violating seed can be run again alone.
import { setTimeout as sleep } from 'node:timers/promises';
import { createRandom, type Random, randomInt } from '../../src/lib/index.js';
import type { ManagerClient } from '../../src/manager/index.js';
import type { EtcdCluster } from '../support/etcd.js';
import { type FaultContext, type FaultKind, faultsFor, injectFault } from './faults.js';
import { type GroupModel, MAX_SURGE, newGroup, specDocument } from './model.js';
import { epochViolations, Monitor, type Violation } from './monitor.js';
import { checkHistory, settle } from './settle.js';
import { createSetup, type Setup, type SetupKind } from './setup.js';

export interface SeedOptions {
  seed: number;
  setup: SetupKind;
  /** Steps (one operation and one fault each). Default 5. */
  steps?: number;
  /** A running etcd to share between seeds (etcd setup); one is started otherwise. */
  etcd?: EtcdCluster;
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

type Op = 'create' | 'scale' | 'update' | 'destroy';

function chooseOp(random: Random, work: GroupModel): Op {
  if (!work.exists) return 'create';
  const roll = random();
  return roll < 0.4 ? 'scale' : roll < 0.85 ? 'update' : 'destroy';
}

/** The leader's client, waiting through failovers and restarts (a bound, not a timing assertion). */
async function leaderClient(setup: Setup): Promise<ManagerClient> {
  for (let i = 0; i < 600; i++) {
    const found = await setup.leader();
    if (found !== undefined) return found.client;
    await sleep(100);
  }
  throw new Error('no leader for 60 s');
}

/**
 * Runs `attempt` against the leader until it succeeds. A failed call is recorded as an uncertain
 * commit (the fault may have cut the answer after the write), then retried, as a user would.
 */
async function commit(
  setup: Setup,
  what: string,
  attempt: (client: ManagerClient) => Promise<void>,
): Promise<void> {
  let lastError: unknown;
  for (let i = 0; i < 120; i++) {
    try {
      await attempt(await leaderClient(setup));
      return;
    } catch (error) {
      lastError = error;
      await sleep(250);
    }
  }
  throw new Error(`${what} never succeeded: ${String(lastError)}`);
}

async function applyAll(setup: Setup, groups: GroupModel[]): Promise<void> {
  const live = groups.filter((g) => g.exists);
  await commit(setup, 'apply', async (client) => {
    for (const g of live)
      g.attempts.push({ size: g.size, version: g.version, deleted: false, revision: undefined });
    const applied = await client.apply(specDocument(setup.runId, live), { reason: 'fault campaign' });
    for (const answer of applied.groups) {
      const g = live.find((x) => x.id === answer.id);
      const last = g?.attempts.at(-1);
      if (g === undefined || last === undefined) continue;
      last.revision = answer.revision;
      g.config = answer.config;
    }
  });
}

async function runOp(
  setup: Setup,
  groups: GroupModel[],
  work: GroupModel,
  op: Op,
  random: Random,
): Promise<string> {
  switch (op) {
    case 'create':
      work.exists = true;
      work.bound = work.size + MAX_SURGE;
      await applyAll(setup, groups);
      return `create ${work.id} size ${work.size}`;
    case 'update':
      work.version += 1;
      work.bound = work.size + MAX_SURGE;
      await applyAll(setup, groups);
      return `roll ${work.id} to v${work.version}`;
    case 'scale': {
      const size = randomInt(random, 1, 4);
      work.bound = Math.max(work.size, size) + MAX_SURGE;
      work.size = size;
      await commit(setup, 'scale', async (client) => {
        work.attempts.push({ size, version: work.version, deleted: false, revision: undefined });
        const ok = await client.scale(work.id, size, { reason: 'fault campaign' });
        const last = work.attempts.at(-1);
        if (last !== undefined) last.revision = ok.revision;
      });
      return `scale ${work.id} to ${size}`;
    }
    case 'destroy':
      work.exists = false;
      await commit(setup, 'destroy', async (client) => {
        work.attempts.push({ size: work.size, version: work.version, deleted: true, revision: undefined });
        const ok = await client.destroy(work.id, { reason: 'fault campaign' });
        const last = work.attempts.at(-1);
        if (last !== undefined) last.revision = ok.revision;
      });
      return `destroy ${work.id}`;
  }
}

export async function runSeed(options: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const random = createRandom(options.seed);
  const steps = options.steps ?? 5;
  const log = options.log ?? (() => undefined);
  const setup = await createSetup({ kind: options.setup, ...(options.etcd ? { etcd: options.etcd } : {}) });
  const steady = newGroup('steady', 'process', 2);
  const work = newGroup('work', 'process', randomInt(random, 1, 3));
  const edge = newGroup('edge', 'hostile', 2);
  const groups = [steady, work, edge];
  for (const g of groups) {
    g.exists = true;
    g.bound = g.size + MAX_SURGE;
  }
  const monitor = new Monitor(setup, groups, setup.controlUrl);
  const faults: SeedResult['faults'] = [];
  const ctx: FaultContext = { setup, monitor, random, groups, canary: steady };
  const available = faultsFor(options.setup).filter((f) => options.faults?.includes(f) ?? true);
  if (available.length === 0)
    throw new Error(`no fault kind of ${options.faults?.join(',')} fits setup ${options.setup}`);
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
    await checkHistory(setup, monitor, groups);
  } finally {
    await monitor.stop();
    await setup.stop();
  }
  return {
    seed: options.seed,
    setup: options.setup,
    faults,
    violations: monitor.violations,
    durationMs: Date.now() - started,
    statusProbes: monitor.statusProbes,
    starvedProbes: monitor.starvedProbes,
    maxStatusMs: monitor.maxStatusMs,
    instancesSeen: monitor.seen.size,
  };
}
