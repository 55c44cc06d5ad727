// Failover latency: kill -9 the leading manager (and one instance, so there is work to do) and
// time until (a) a standby reports itself leader and (b) the new leader's first action — the
// replacement instance it provisions, seen in the process plugin's state dir with its epoch.
// Three managers on a real 3-member etcd; median of 10 runs. Not a pass/fail test. Real clock.
// The lease is the 5 s that `tend up --lease-ttl` defaults to (TEND_BENCH_LEASE_TTL changes it):
// no standby may take over before the dead leader's lease runs out, so the floor is about one
// lease TTL after the kill.

import { printRuns, summarize } from './_failover.js';
import { runEtcdFailovers } from './_failover-etcd.js';
import { machineNote } from './_machine.js';

const machine = machineNote('real');

const RUNS = Number(process.env.TEND_BENCH_RUNS ?? 10);
const LEASE_TTL_SECONDS = Number(process.env.TEND_BENCH_LEASE_TTL ?? 5); // tend up's default

const runs = await runEtcdFailovers(RUNS, LEASE_TTL_SECONDS);
printRuns(
  `failover: kill -9 of the leader → new leader (lease TTL ${LEASE_TTL_SECONDS}s, 3 etcd members)`,
  runs,
);
const { runs: count, ...figures } = summarize(runs);
console.log(
  JSON.stringify({
    bench: 'failover',
    runs: count,
    leaseTtlSeconds: LEASE_TTL_SECONDS,
    ...figures,
    floorMs: LEASE_TTL_SECONDS * 1000,
    ...machine.finish(),
  }),
);
