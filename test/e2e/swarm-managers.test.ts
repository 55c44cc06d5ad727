// Issue #15 acceptance, managers: a swarm whose three managers are a Tend group (logical IDs m1,
// m2, m3) on the swarm flavor, each a `process` instance starting a dockerd in a spare network
// namespace. Two seed engines form the swarm (the flavor will not add a second manager to a swarm
// of one: should it not come up, one of two is no quorum) and leave once the group has joined, so the group's
// three are the whole Raft membership: with one of three down, letting a fourth join before the
// dead one is out (4 managers, 2 reachable) would lose quorum. Then kill -9 of a manager's host
// processes (not the Raft leader's: replacing the leader's node costs an election, ~10 s with no
// writes, which is SwarmKit's, not quorum): Tend demotes and removes the dead node, and a new
// manager joins for the same logical ID; a write to the swarm (a cluster label, through Raft) is
// tried every 250 ms throughout and must keep succeeding. One swarm for the file.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { clusterRead, clusterWriteLabels } from '../../src/lib/index.js';
import type { SwarmNode } from '../../src/plugins/flavor/swarm/index.js';
import { createDockerSwarmGateway, type SwarmGateway } from '../../src/plugins/flavor/swarm/swarm-gateway.js';
import { cliApply, e2eManager, eventually, type ManagerProcess } from '../support/manager.js';
import {
  killHostProcesses,
  startSwarm,
  swarmGroupYaml,
  swarmSkipReason,
  type TestSwarm,
} from '../support/swarm.js';

const group = 'managers';
const members = ['m1', 'm2', 'm3'];
/** A write slower than this, or a gap this long without one, fails the test: quorum was lost. */
const WRITE_GAP_LIMIT_MS = 8000;

/** Writes a cluster label through the first manager that answers, every 250 ms, and times them. */
function writeProbe(endpoints: readonly string[]) {
  const engines = endpoints.map((e) => new Docker({ socketPath: e.slice('unix://'.length), timeout: 3000 }));
  let lastOk = performance.now();
  let maxGap = 0;
  let writes = 0;
  let failures = 0;
  let running = true;
  const tryOnce = async (): Promise<boolean> => {
    for (const docker of engines) {
      try {
        const cluster = await clusterRead(docker);
        if (await clusterWriteLabels(docker, cluster, { 'tend.test.probe': String(writes) })) return true;
      } catch {
        // Not a manager with quorum, or gone: the next one may be.
      }
    }
    return false;
  };
  const loop = (async () => {
    while (running) {
      if (await tryOnce()) {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - lastOk);
        lastOk = now;
        writes++;
      } else {
        failures++;
      }
      await sleep(250);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      maxGap = Math.max(maxGap, performance.now() - lastOk);
      return { maxGapMs: Math.round(maxGap), writes, failures };
    },
  };
}

describe('a manager group of 3 on a real swarm', { skip: swarmSkipReason() }, () => {
  let swarm: TestSwarm;
  let workspace: Awaited<ReturnType<typeof e2eManager>>['workspace'];
  let manager: ManagerProcess;
  /** Engine API of the seed and of each spare host's engine (the group's, once started). */
  let endpoints: string[] = [];
  let swarmApi: SwarmGateway | undefined;
  /** One gateway: an update sends back the node spec its last listing read. */
  const gateway = (): SwarmGateway => {
    swarmApi ??= createDockerSwarmGateway({ endpoints });
    return swarmApi;
  };
  const mine = async (): Promise<SwarmNode[]> =>
    (await gateway().nodes()).filter((n) => n.link?.startsWith(`${group}/`) === true);

  /** The group's managers, once there are exactly 3 and all ready and reachable. */
  const threeManagers = async (): Promise<SwarmNode[] | undefined> => {
    const nodes = await mine();
    const ok = nodes.filter(
      (n) => n.role === 'manager' && n.state === 'ready' && n.manager?.reachability === 'reachable',
    );
    return ok.length === 3 && nodes.length === 3 ? ok : undefined;
  };

  before(async () => {
    swarm = await startSwarm({ managers: 2, spareHosts: 5 });
    const spare = swarm.hosts.hosts.slice(swarm.engines.length);
    endpoints = [
      ...spare.map((h) => `unix://${join(swarm.hosts.dir, `${h.name}-w`, 'docker.sock')}`),
      ...swarm.engines.map((e) => `unix://${e.socketPath}`),
    ];
    ({ workspace, manager } = await e2eManager('swarm-managers'));
  });

  after(async () => {
    await workspace?.cleanup();
    await swarm?.close();
  });

  it('tend apply: 3 managers join; the seeds leave, so they are the whole Raft membership', {
    timeout: 480_000,
  }, async () => {
    const specFile = join(workspace.dir, 'managers.yaml');
    await writeFile(
      specFile,
      swarmGroupYaml({
        group,
        allocation: `{ logicalIds: [${members.join(', ')}] }`,
        role: 'manager',
        managers: endpoints,
        spare: swarm.hosts.hosts.slice(swarm.engines.length),
        dir: swarm.hosts.dir,
        version: 'v1',
      }),
    );
    await cliApply(manager, specFile);
    await eventually('3 ready, reachable managers of the group', threeManagers, { intervalMs: 500 });

    // The seeds step out one by one: demoted (the swarm moves Raft leadership off one that
    // leads), stopped, removed.
    for (const seed of swarm.engines) {
      const seedId = await seed.nodeId();
      const seedNode = (await gateway().nodes()).find((n) => n.id === seedId);
      assert.ok(seedNode);
      await gateway().updateNode(seedNode, { role: 'worker' });
      await eventually(`${seed.name} to be a worker`, async () =>
        (await gateway().nodes()).find((n) => n.id === seedId)?.role === 'worker' ? true : undefined,
      );
      await seed.kill();
      await eventually(`${seed.name}'s node to be removed`, async () => {
        await gateway().removeNode(seedId);
        return (await gateway().nodes()).some((n) => n.id === seedId) ? undefined : true;
      });
    }
    const nodes = await gateway().nodes();
    assert.deepEqual(
      nodes.map((n) => [n.role, n.link?.split('/')[1]]).sort(),
      members.map((m) => ['manager', m]),
      'the swarm is exactly the group’s three managers',
    );
  });

  it('kill -9 of a manager’s host: replaced for the same logical ID, and the swarm takes writes throughout', {
    timeout: 480_000,
  }, async () => {
    // Right after the seeds left, Raft may still be settling its new membership: wait for it.
    const before = await eventually('3 ready, reachable managers before the kill', threeManagers, {
      intervalMs: 500,
    });
    assert.equal(before.length, 3);
    const victim = before.find((n) => n.manager?.leader !== true);
    assert.ok(victim, 'no manager that is not the Raft leader');
    const member = victim.link?.split('/')[1];
    const host = swarm.hosts.hosts.find((h) => h.name === victim.hostname);
    assert.ok(host, `no test host named ${victim.hostname}`);
    const probe = writeProbe(endpoints);
    let gaps: Awaited<ReturnType<typeof probe.stop>>;
    const killedAt = performance.now();
    try {
      await sleep(1000); // writes before the kill, so a probe that never wrote cannot pass
      killHostProcesses(host);
      const healed = await eventually(
        'a new manager for the same logical ID, the dead node gone',
        async () => {
          const three = await threeManagers();
          const all = await gateway().nodes();
          return three !== undefined && !all.some((n) => n.id === victim.id) ? three : undefined;
        },
        { intervalMs: 500 },
      );
      console.log(
        `# swarm: manager ${member} replaced (dead node removed, new one reachable) in ${Math.round(performance.now() - killedAt)} ms`,
      );
      const fresh = healed.find((n) => !before.some((b) => b.id === n.id));
      assert.ok(fresh, 'no new node');
      assert.equal(fresh.link?.split('/')[1], member, 'the new manager carries the replaced logical ID');
      await sleep(1000);
    } finally {
      gaps = await probe.stop();
    }
    console.log(
      `# swarm: ${gaps.writes} writes during the replacement, ${gaps.failures} failed rounds, longest gap ${gaps.maxGapMs} ms`,
    );
    assert.ok(gaps.writes >= 4, `only ${gaps.writes} writes`);
    assert.ok(
      gaps.maxGapMs <= WRITE_GAP_LIMIT_MS,
      `the swarm took no write for ${gaps.maxGapMs} ms during the replacement (quorum lost?)`,
    );
  });
});
