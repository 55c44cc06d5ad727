// Swarm failover latency (#15): three `tend up` managers with `--leadership swarm --store swarm`,
// one beside each manager engine of a real 3-manager swarm (dockerd in network namespaces,
// test/support/swarm.ts). Each run: kill -9 of the Raft leader's engine (and one instance, so
// there is work to do), then time until the swarm has a new Raft leader, a Tend reports itself
// leader, and the new leader's first action (the replacement instance, carrying its epoch). The
// killed engine is started again and must be back as a reachable manager before the next run
// (three managers, so the next kill keeps quorum). Median of 10 runs; real clock; not pass/fail.
// For comparison the same runs on etcd leadership (bench/failover.ts, lease TTL 5 s) follow on the
// same machine: TEND_BENCH_ETCD_RUNS=0 skips them. Debian's dockerd elects a Raft leader after
// SwarmKit's fixed 10 ticks of 1 s (it takes no election-tick setting), so that is the floor.
import { e2eWorkspace, eventually } from '../test/support/manager.js';
import {
  leaderOtherThan,
  rejoined,
  type SwarmEngine,
  startSwarm,
  startTendBeside,
  type TestSwarm,
} from '../test/support/swarm.js';
import {
  converged,
  type FailoverRun,
  failoverSpec,
  findLeader,
  killOneInstance,
  printRuns,
  summarize,
  timeFailover,
} from './_failover.js';
import { runEtcdFailovers } from './_failover-etcd.js';
import { machineNote } from './_machine.js';

const machine = machineNote('real');

const RUNS = Number(process.env.TEND_BENCH_RUNS ?? 10);
const ETCD_RUNS = Number(process.env.TEND_BENCH_ETCD_RUNS ?? RUNS);
const ETCD_LEASE_TTL_SECONDS = 5; // tend up's default, as bench/failover.ts

interface SwarmRun extends FailoverRun {
  /** Kill → a surviving engine names a new Raft leader (polled every 200 ms). */
  raftMs: number;
}

/** Kill → a surviving engine names a leader other than `killed`; resolves with the ms since `t0`. */
async function raftElected(swarm: TestSwarm, killed: SwarmEngine, t0: number): Promise<number> {
  await leaderOtherThan(swarm, killed);
  return performance.now() - t0;
}

async function runSwarmFailovers(runs: number): Promise<SwarmRun[]> {
  const swarm = await startSwarm({ managers: 3 });
  const workspace = await e2eWorkspace('bench-swarm-failover');
  const results: SwarmRun[] = [];
  try {
    const beside = await startTendBeside(swarm, workspace, 500);
    const first = await eventually('a leader', () => findLeader(workspace.managers), { attempts: 3000 });
    await first.client.apply(failoverSpec);
    for (let run = 1; run <= runs; run++) {
      const engine = await swarm.leader();
      const leader = beside.get(engine);
      if (leader === undefined) throw new Error(`no Tend beside ${engine.name}`);
      await eventually('the Tend beside the Raft leader to lead', async () =>
        (await leader.isLeader()) ? true : undefined,
      );
      await eventually('convergence', () => converged(leader, workspace.stateDir), { attempts: 3000 });
      const oldEpoch = (await leader.client.leader()).self.epoch ?? 0;
      const t0 = performance.now();
      const killing = engine.kill();
      killOneInstance(workspace.stateDir);
      await killing;
      const raft = raftElected(swarm, engine, t0);
      const timed = await timeFailover({
        run,
        t0,
        killed: engine.name,
        oldEpoch,
        candidates: workspace.managers.filter((m) => m !== leader),
        stateDir: workspace.stateDir,
      });
      results.push({ ...timed, raftMs: await raft });
      await engine.start();
      await rejoined(engine, await swarm.leader());
    }
  } finally {
    await workspace.cleanup();
    await swarm.close();
  }
  return results;
}

const swarmRuns = await runSwarmFailovers(RUNS);
printRuns('swarm failover: kill -9 of the Raft leader’s engine → the Tend beside the new leader', swarmRuns);
const raftMedianMs = summarize(swarmRuns.map((r) => ({ ...r, electedMs: r.raftMs }))).electedMedianMs;
console.log(
  `a new Raft leader named, ms after the kill: ${swarmRuns.map((r) => Math.round(r.raftMs)).join(', ')} (median ${raftMedianMs})`,
);
const swarm = summarize(swarmRuns);

const etcdRuns = ETCD_RUNS > 0 ? await runEtcdFailovers(ETCD_RUNS, ETCD_LEASE_TTL_SECONDS) : [];
const etcd = etcdRuns.length > 0 ? summarize(etcdRuns) : undefined;
if (etcd !== undefined) {
  printRuns(`etcd failover, for comparison (lease TTL ${ETCD_LEASE_TTL_SECONDS}s, 3 members)`, etcdRuns);
}

console.log(`\n${'median ms after the kill'.padEnd(27)}new leader  first action`);
console.log(
  `${'swarm (Raft, 3 managers)'.padEnd(27)}${String(swarm.electedMedianMs).padStart(10)}  ${String(swarm.firstActionMedianMs).padStart(12)}`,
);
if (etcd !== undefined) {
  console.log(
    `${`etcd (lease ${ETCD_LEASE_TTL_SECONDS} s)`.padEnd(27)}${String(etcd.electedMedianMs).padStart(10)}  ${String(etcd.firstActionMedianMs).padStart(12)}`,
  );
}
console.log(
  JSON.stringify({
    bench: 'swarm-failover',
    medianMs: swarm.firstActionMedianMs,
    runs: swarm.runs,
    raftElectedMedianMs: raftMedianMs,
    electedMedianMs: swarm.electedMedianMs,
    p90Ms: swarm.firstActionP90Ms,
    maxMs: swarm.firstActionMaxMs,
    etcd:
      etcd === undefined
        ? null
        : {
            runs: etcd.runs,
            leaseTtlSeconds: ETCD_LEASE_TTL_SECONDS,
            electedMedianMs: etcd.electedMedianMs,
            medianMs: etcd.firstActionMedianMs,
          },
    ...machine.finish(),
  }),
);
