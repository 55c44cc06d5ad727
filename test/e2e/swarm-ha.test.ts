// Issue #15 acceptance, HA on a swarm as InfraKit ran it: three real `tend up` managers, one
// beside each manager engine of a real 3-manager swarm (dockerd in network namespaces), with
// `--leadership swarm --store swarm` and nothing else shared but the `process` plugin's state dir
// (the instances' "machine"). Only the Tend beside the Raft leader acts. kill -9 of that engine in
// the middle of a rolling update, with one of the updated instances killed too: SwarmKit elects a
// new leader, the Tend beside it takes over, finishes the rollout and replaces the dead instance;
// the old engine, started again, rejoins and its Tend stays a standby. One swarm for the file.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { e2eWorkspace, eventually, liveInstances, type ManagerProcess } from '../support/manager.js';
import {
  leaderOtherThan,
  rejoined,
  type SwarmEngine,
  startSwarm,
  startTendBeside,
  swarmSkipReason,
  type TestSwarm,
} from '../support/swarm.js';

const GROUP = 'ha';
const SIZE = 3;
const MAX_SURGE = 1;

// healthyFor 3s: each replacement waits 3 s, so the test can kill the leader between two steps.
const spec = (version: string) => `
groups:
  - id: ${GROUP}
    allocation: { size: ${SIZE} }
    instance: { plugin: process }
    flavor:
      plugin: vanilla
      properties:
        init: ["echo ${version} $$", "while true; do sleep 1; done"]
    health: { grace: 1s, unhealthyAfter: 2s, maxInFlight: 1 }
    update: { maxSurge: ${MAX_SURGE}, maxUnavailable: 0, healthyFor: 3s, timeout: 5m, onFailure: pause }
`;

interface Seen {
  epoch: number;
  /** Index into `Watch.marks` current when the instance was first seen alive. */
  mark: number;
}

/** Every instance of the group ever seen alive (sampled every 25 ms), and the most at once. */
function watchInstances(stateDir: string) {
  const seen = new Map<string, Seen>();
  const marks: string[] = ['start'];
  let max = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const live = liveInstances(stateDir, GROUP);
      max = Math.max(max, live.length);
      for (const i of live) {
        if (!seen.has(i.id)) seen.set(i.id, { epoch: Number(i.tags['tend.epoch']), mark: marks.length - 1 });
      }
      await sleep(25);
    }
  })();
  return {
    seen,
    /** Starts a new phase: instances first seen from now on carry its index. */
    mark: (name: string) => marks.push(name) - 1,
    get max() {
      return max;
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe('three tend up managers on a real swarm (--leadership swarm --store swarm)', {
  skip: swarmSkipReason(),
}, () => {
  let swarm: TestSwarm;
  let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
  /** The Tend manager beside each engine, by engine name. */
  const beside = new Map<string, ManagerProcess>();

  const tendOf = (engine: SwarmEngine): ManagerProcess => {
    const manager = beside.get(engine.name);
    if (manager === undefined) throw new Error(`no manager beside ${engine.name}`);
    return manager;
  };

  before(async () => {
    swarm = await startSwarm({ managers: 3 });
    workspace = await e2eWorkspace('swarm-ha');
    for (const [engine, manager] of await startTendBeside(swarm, workspace, 200)) {
      beside.set(engine.name, manager);
    }
  });

  after(async () => {
    await workspace?.cleanup();
    await swarm?.close();
  });

  /** Who says they lead, by manager name; undefined entries did not answer. */
  async function roles(): Promise<Record<string, string | undefined>> {
    const out: Record<string, string | undefined> = {};
    for (const [, m] of beside)
      out[m.name] = await m.client.leader().then(
        (l) => l.self.role,
        () => undefined,
      );
    return out;
  }

  /** The group as `leader` sees it: converged on `config`, every live process tracked. */
  async function settled(leader: ManagerProcess, config: string): Promise<true | undefined> {
    const group = (await leader.client.status()).groups.find((g) => g.id === GROUP);
    if (group?.phase !== 'converged' || group.config !== config || group.healthy !== SIZE) return undefined;
    const live = liveInstances(workspace.stateDir, GROUP);
    const tracked = new Set<string>((await leader.client.allInstances(GROUP)).map((i) => i.id));
    return live.length === SIZE && live.every((i) => tracked.has(i.id)) ? true : undefined;
  }

  test('only the Tend beside the Raft leader acts; kill -9 of its engine mid-rollout: the next one finishes and heals', {
    timeout: 600_000,
  }, async (t) => {
    const watch = watchInstances(workspace.stateDir);
    try {
      const raftLeader = await swarm.leader();
      const first = tendOf(raftLeader);
      await eventually('the Tend beside the Raft leader to lead', async () =>
        (await first.isLeader()) ? true : undefined,
      );
      const firstEpoch = (await first.client.leader()).self.epoch ?? 0;
      const ledSince = performance.now();
      const v1 = (await first.client.apply(spec('v1'))).groups[0]?.config ?? '';
      await eventually('v1 to converge', () => settled(first, v1), { attempts: 3000 });
      assert.deepEqual(
        await roles(),
        Object.fromEntries([...beside.values()].map((m) => [m.name, m === first ? 'leader' : 'standby'])),
        'exactly one Tend leads: the one beside the Raft leader',
      );
      const epochs = new Set([...watch.seen.values()].map((s) => s.epoch));
      assert.deepEqual([...epochs], [firstEpoch], 'every instance was made by the leader’s term');

      // A quiet swarm sends no node events: the term outlives the engine client's 10 s idle
      // timeout (which once broke the leader's event stream and ended its term every 10 s).
      await sleep(Math.max(0, 12_000 - (performance.now() - ledSince)));
      const held = await first.client.leader();
      assert.deepEqual([held.self.role, held.self.epoch], ['leader', firstEpoch], 'the first term holds');

      // A rolling update, stopped half way by kill -9 of the leader's engine.
      const v2 = (await first.client.apply(spec('v2'))).groups[0]?.config ?? '';
      const fresh = () =>
        liveInstances(workspace.stateDir, GROUP).filter((i) => i.tags['tend.config'] === v2);
      const updated = await eventually('the rollout to replace one instance', () => {
        const now = fresh();
        return now.length >= 1 ? now : undefined;
      });
      const killedAt = performance.now();
      await raftLeader.kill();
      const victim = updated[0];
      assert.ok(victim);
      process.kill(-victim.pid, 'SIGKILL');
      const afterKill = watch.mark('after the kill');
      const atKill = liveInstances(workspace.stateDir, GROUP);
      const freshLeft = atKill.filter((i) => i.tags['tend.config'] === v2).length;
      assert.ok(freshLeft < atKill.length, 'the rollout was not half done at the kill');
      t.diagnostic(`killed ${raftLeader.name}'s engine with ${updated.length} of ${SIZE} updated`);

      const newRaftLeader = await leaderOtherThan(swarm, raftLeader);
      const second = tendOf(newRaftLeader);
      await eventually(
        'the Tend beside the new Raft leader to lead',
        async () => ((await second.isLeader()) ? true : undefined),
        { attempts: 3000 },
      );
      const secondEpoch = (await second.client.leader()).self.epoch ?? 0;
      t.diagnostic(
        `new Tend leader ${second.name} (epoch ${secondEpoch}) ${Math.round(performance.now() - killedAt)} ms after the kill`,
      );
      assert.ok(secondEpoch > firstEpoch, `${secondEpoch} > ${firstEpoch}`);
      const newTerm = watch.mark('new term');
      await eventually('the new leader to finish the rollout and heal', () => settled(second, v2), {
        attempts: 3000,
      });
      t.diagnostic(`v2 converged ${Math.round(performance.now() - killedAt)} ms after the kill`);

      const live = liveInstances(workspace.stateDir, GROUP);
      assert.ok(!live.some((i) => i.id === victim.id), 'the killed instance is not counted as live');
      assert.ok(
        live.every((i) => i.tags['tend.config'] === v2),
        'every live instance is on v2',
      );
      // The new term made every v2 instance but those alive at the kill: the dead one's
      // replacement (the heal) and one for each old instance left.
      const byNewTerm = live.filter((i) => Number(i.tags['tend.epoch']) === secondEpoch);
      assert.ok(
        byNewTerm.length >= SIZE - freshLeft,
        `${byNewTerm.length} instances by the new term, expected ≥ ${SIZE} - ${freshLeft} updated alive at the kill`,
      );
      // Nothing of the old term appeared once the new one began (the deposed Tend did not act).
      const lateOld = [...watch.seen].filter(([, s]) => s.mark >= newTerm && s.epoch <= firstEpoch);
      assert.deepEqual(lateOld, [], 'instances made by the old term during the new one');
      const fromOld = [...watch.seen].filter(([, s]) => s.mark >= afterKill && s.epoch !== secondEpoch);
      t.diagnostic(`instances of the old term first seen after the kill: ${fromOld.length}`);
      assert.equal(await first.isLeader(), false, 'the Tend beside the dead engine does not lead');

      // The old engine comes back: it rejoins the swarm as a manager, and its Tend is a standby.
      await raftLeader.start();
      await rejoined(raftLeader, newRaftLeader);
      await eventually('the old Tend to answer as a standby', async () =>
        (await first.client.leader()).self.role === 'standby' ? true : undefined,
      );
      await sleep(3000);
      assert.equal((await first.client.leader()).self.role, 'standby', 'the old Tend stays a standby');
      const still = await second.client.leader();
      assert.equal(still.self.role, 'leader');
      assert.equal(still.self.epoch, secondEpoch, 'the new leader kept its term');
      assert.ok(await settled(second, v2), 'the group is as the new leader left it');
    } finally {
      await watch.stop();
    }
    assert.ok(watch.max <= SIZE + MAX_SURGE, `${watch.max} instances alive at once`);
  });
});
