// What the failover benchmarks share: a group of `process` instances run by three managers, and
// the timing of one failover from a kill (of a manager, or of the engine a swarm manager's Tend
// relies on) to (a) a standby reporting itself leader and (b) the new leader's first action —
// the replacement for an instance killed with the leader, seen in the process plugin's state dir
// carrying the new epoch. Real clock.
import { setTimeout as sleep } from 'node:timers/promises';
import { liveInstances, type ManagerProcess } from '../test/support/manager.js';

export const FAILOVER_GROUP = 'bench';
export const FAILOVER_SIZE = 3;

export const failoverSpec = `
groups:
  - id: ${FAILOVER_GROUP}
    allocation: { size: ${FAILOVER_SIZE} }
    instance: { plugin: process }
    flavor: { plugin: vanilla, properties: { init: ["while true; do sleep 1; done"] } }
    health: { grace: 1s, unhealthyAfter: 2s, maxInFlight: 1 }
`;

export interface FailoverRun {
  run: number;
  killed: string;
  leader: string;
  electedMs: number;
  firstActionMs: number;
}

export async function findLeader(managers: readonly ManagerProcess[]): Promise<ManagerProcess | undefined> {
  for (const manager of managers) if (await manager.isLeader()) return manager;
  return undefined;
}

/** The group is converged on every live instance the plugin has. */
export async function converged(leader: ManagerProcess, stateDir: string): Promise<true | undefined> {
  const group = (await leader.client.status()).groups.find((g) => g.id === FAILOVER_GROUP);
  const ok =
    group?.phase === 'converged' &&
    group.healthy === FAILOVER_SIZE &&
    liveInstances(stateDir, FAILOVER_GROUP).length === FAILOVER_SIZE;
  return ok ? true : undefined;
}

/** SIGKILL to one of the group's instances (its process group), so the new leader has work. */
export function killOneInstance(stateDir: string): void {
  const victim = liveInstances(stateDir, FAILOVER_GROUP)[0];
  if (victim !== undefined) process.kill(-victim.pid, 'SIGKILL');
}

/**
 * Waits, from `t0` (performance.now() at the kill), for one of `candidates` to lead and for an
 * instance made by an epoch above `oldEpoch`. Polls every 10 ms; gives up after 120 s.
 */
export async function timeFailover(options: {
  run: number;
  t0: number;
  killed: string;
  oldEpoch: number;
  candidates: readonly ManagerProcess[];
  stateDir: string;
}): Promise<FailoverRun> {
  const { t0 } = options;
  let electedMs = Number.NaN;
  let successor: ManagerProcess | undefined;
  let firstActionMs = Number.NaN;
  while (Number.isNaN(firstActionMs)) {
    if (successor === undefined) {
      successor = await findLeader(options.candidates);
      if (successor !== undefined) electedMs = performance.now() - t0;
    }
    const byNewLeader = liveInstances(options.stateDir, FAILOVER_GROUP).some(
      (i) => Number(i.tags['tend.epoch'] ?? 0) > options.oldEpoch,
    );
    if (byNewLeader) firstActionMs = performance.now() - t0;
    else await sleep(10);
    if (performance.now() - t0 > 120_000) throw new Error(`run ${options.run}: no action within 120 s`);
  }
  for (let i = 0; successor === undefined && i < 1200; i++) {
    successor = await findLeader(options.candidates);
    if (successor === undefined) await sleep(100);
  }
  if (Number.isNaN(electedMs)) electedMs = firstActionMs;
  const run: FailoverRun = {
    run: options.run,
    killed: options.killed,
    leader: successor?.name ?? '?',
    electedMs,
    firstActionMs,
  };
  process.stderr.write(
    `run ${run.run}: elected ${electedMs.toFixed(0)} ms, first action ${firstActionMs.toFixed(0)} ms\n`,
  );
  return run;
}

export function printRuns(title: string, runs: readonly FailoverRun[]): void {
  console.log(title);
  console.log('run  killed    new leader  elected ms  first action ms');
  for (const r of runs) {
    console.log(
      `${String(r.run).padStart(3)}  ${r.killed.padEnd(8)}  ${r.leader.padEnd(10)}  ${r.electedMs.toFixed(0).padStart(10)}  ${r.firstActionMs.toFixed(0).padStart(15)}`,
    );
  }
  const s = summarize(runs);
  console.log(`median: elected ${s.electedMedianMs} ms, first action ${s.firstActionMedianMs} ms`);
}

/** The figures each failover bench reports, rounded to ms. */
export function summarize(runs: readonly FailoverRun[]) {
  const actions = runs.map((r) => r.firstActionMs);
  return {
    runs: runs.length,
    electedMedianMs: Math.round(median(runs.map((r) => r.electedMs))),
    firstActionMedianMs: Math.round(median(actions)),
    firstActionP90Ms: Math.round(quantile(actions, 0.9)),
    firstActionMaxMs: Math.round(Math.max(...actions)),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}
