// Failover latency: kill -9 the leading manager (and one instance, so there is work to do) and
// time until (a) a standby reports itself leader and (b) the new leader's first action — the
// replacement instance it provisions, seen in the process plugin's state dir with its epoch.
// Three managers on a real 3-member etcd; median of 10 runs. Not a pass/fail test. Real clock.
// The lease is the 5 s that `tend up --lease-ttl` defaults to (TEND_BENCH_LEASE_TTL changes it):
// no standby may take over before the dead leader's lease runs out, so the floor is about one
// lease TTL after the kill.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEtcdCluster } from '../test/support/etcd.js';
import { e2eWorkspace, eventually, liveInstances, ManagerProcess } from '../test/support/manager.js';
import { machineNote } from './_machine.js';

const machine = machineNote('real');

const RUNS = Number(process.env.TEND_BENCH_RUNS ?? 10);
const LEASE_TTL_SECONDS = Number(process.env.TEND_BENCH_LEASE_TTL ?? 5); // tend up's default
const SIZE = 3;

const spec = `
groups:
  - id: bench
    allocation: { size: ${SIZE} }
    instance: { plugin: process }
    flavor: { plugin: vanilla, properties: { init: ["while true; do sleep 1; done"] } }
    health: { grace: 1s, unhealthyAfter: 2s, maxInFlight: 1 }
`;

interface Run {
  run: number;
  killed: string;
  leader: string;
  electedMs: number;
  firstActionMs: number;
}

async function findLeader(managers: readonly ManagerProcess[]): Promise<ManagerProcess | undefined> {
  for (const manager of managers) if (await manager.isLeader()) return manager;
  return undefined;
}

async function converged(leader: ManagerProcess, stateDir: string): Promise<true | undefined> {
  const group = (await leader.client.status()).groups.find((g) => g.id === 'bench');
  const ok =
    group?.phase === 'converged' &&
    group.healthy === SIZE &&
    liveInstances(stateDir, 'bench').length === SIZE;
  return ok ? true : undefined;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const etcd = await startEtcdCluster({ members: 3 });
  const workspace = await e2eWorkspace('bench-failover');
  const prefix = `tend-bench-${randomBytes(4).toString('hex')}/`;
  const start = (name: string) =>
    ManagerProcess.start({
      name,
      dir: workspace.dir,
      stateDir: workspace.stateDir,
      store: 'etcd',
      leadership: 'etcd',
      etcdEndpoints: etcd.endpoints,
      etcdPrefix: prefix,
      leaseTtlSeconds: LEASE_TTL_SECONDS,
      tickIntervalMs: 500,
    }).then((m) => {
      workspace.managers.push(m);
      return m;
    });
  const runs: Run[] = [];
  try {
    for (const name of ['m1', 'm2', 'm3']) await start(name);
    const first = await eventually('a leader', () => findLeader(workspace.managers));
    await first.client.apply(spec);
    for (let run = 1; run <= RUNS; run++) {
      const leader = await eventually('a leader', () => findLeader(workspace.managers));
      await eventually('convergence', () => converged(leader, workspace.stateDir), { attempts: 3000 });
      const oldEpoch = (await leader.client.leader()).self.epoch ?? 0;
      const victim = liveInstances(workspace.stateDir, 'bench')[0];
      const t0 = performance.now();
      leader.signal('SIGKILL');
      if (victim !== undefined) process.kill(-victim.pid, 'SIGKILL');
      await leader.exited;
      workspace.managers.splice(workspace.managers.indexOf(leader), 1);
      let electedMs = Number.NaN;
      let successor: ManagerProcess | undefined;
      let firstActionMs = Number.NaN;
      while (Number.isNaN(firstActionMs)) {
        if (successor === undefined) {
          successor = await findLeader(workspace.managers);
          if (successor !== undefined) electedMs = performance.now() - t0;
        }
        const byNewLeader = liveInstances(workspace.stateDir, 'bench').some(
          (i) => Number(i.tags['tend.epoch'] ?? 0) > oldEpoch,
        );
        if (byNewLeader) firstActionMs = performance.now() - t0;
        else await sleep(10);
        if (performance.now() - t0 > 120_000) throw new Error(`run ${run}: no action within 120 s`);
      }
      if (successor === undefined)
        successor = await eventually('a leader', () => findLeader(workspace.managers));
      if (Number.isNaN(electedMs)) electedMs = firstActionMs;
      runs.push({ run, killed: leader.name, leader: successor.name, electedMs, firstActionMs });
      process.stderr.write(
        `run ${run}: elected ${electedMs.toFixed(0)} ms, first action ${firstActionMs.toFixed(0)} ms\n`,
      );
      await start(`m${run + 3}`);
    }
  } finally {
    await workspace.cleanup();
    await etcd.stop();
  }
  console.log(
    `failover: kill -9 of the leader → new leader (lease TTL ${LEASE_TTL_SECONDS}s, 3 etcd members)`,
  );
  console.log('run  killed    new leader  elected ms  first action ms');
  for (const r of runs) {
    console.log(
      `${String(r.run).padStart(3)}  ${r.killed.padEnd(8)}  ${r.leader.padEnd(10)}  ${r.electedMs.toFixed(0).padStart(10)}  ${r.firstActionMs.toFixed(0).padStart(15)}`,
    );
  }
  const elected = median(runs.map((r) => r.electedMs));
  const action = median(runs.map((r) => r.firstActionMs));
  console.log(`median: elected ${elected.toFixed(0)} ms, first action ${action.toFixed(0)} ms`);
  console.log(
    JSON.stringify({
      bench: 'failover',
      runs: runs.length,
      leaseTtlSeconds: LEASE_TTL_SECONDS,
      electedMedianMs: Math.round(elected),
      firstActionMedianMs: Math.round(action),
      firstActionP90Ms: Math.round(
        quantile(
          runs.map((r) => r.firstActionMs),
          0.9,
        ),
      ),
      firstActionMaxMs: Math.round(Math.max(...runs.map((r) => r.firstActionMs))),
      floorMs: LEASE_TTL_SECONDS * 1000,
      ...machine.finish(),
    }),
  );
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

await main();
