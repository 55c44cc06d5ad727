// Failovers of three `tend up` managers on a real 3-member etcd (etcd leadership and store): kill
// -9 of the leading manager and one instance, timed by bench/_failover.ts; a new manager replaces
// the killed one before the next run. Used by `failover` and, for comparison, `swarm-failover`.
import { randomBytes } from 'node:crypto';
import { startEtcdCluster } from '../test/support/etcd.js';
import { e2eWorkspace, eventually, ManagerProcess } from '../test/support/manager.js';
import {
  converged,
  type FailoverRun,
  failoverSpec,
  findLeader,
  killOneInstance,
  timeFailover,
} from './_failover.js';

export async function runEtcdFailovers(runs: number, leaseTtlSeconds: number): Promise<FailoverRun[]> {
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
      leaseTtlSeconds,
      tickIntervalMs: 500,
    }).then((m) => {
      workspace.managers.push(m);
      return m;
    });
  const results: FailoverRun[] = [];
  try {
    for (const name of ['m1', 'm2', 'm3']) await start(name);
    const first = await eventually('a leader', () => findLeader(workspace.managers));
    await first.client.apply(failoverSpec);
    for (let run = 1; run <= runs; run++) {
      const leader = await eventually('a leader', () => findLeader(workspace.managers));
      await eventually('convergence', () => converged(leader, workspace.stateDir), { attempts: 3000 });
      const oldEpoch = (await leader.client.leader()).self.epoch ?? 0;
      const t0 = performance.now();
      leader.signal('SIGKILL');
      killOneInstance(workspace.stateDir);
      await leader.exited;
      workspace.managers.splice(workspace.managers.indexOf(leader), 1);
      results.push(
        await timeFailover({
          run,
          t0,
          killed: leader.name,
          oldEpoch,
          candidates: workspace.managers,
          stateDir: workspace.stateDir,
        }),
      );
      await start(`m${run + 3}`);
    }
  } finally {
    await workspace.cleanup();
    await etcd.stop();
  }
  return results;
}
