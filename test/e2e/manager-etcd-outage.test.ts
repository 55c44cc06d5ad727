// Issue #4 acceptance: "etcd unreachable → the manager stays up, reports it, and acts on nothing
// until it can prove it is leader". A real manager process keeps its store and its leadership in
// a real etcd and runs a group on the `process` plugin. etcd is killed; the manager must stay up,
// answer its API, say it is not leader and that etcd is unreachable, and leave a killed instance
// alone. When etcd is back it must lead again by itself and heal the group, without duplicates.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ErrorBody, InstancePage, LeaderView, StatusView } from '../../src/manager/index.js';
import { type EtcdCluster, etcdSkip, startEtcdCluster } from '../support/etcd.js';
import {
  e2eWorkspace,
  eventually,
  isAlive,
  type LiveInstance,
  liveInstances,
  ManagerProcess,
} from '../support/manager.js';

const SIZE = 3;
const GROUP = 'outage';
const TTL_SECONDS = 2;
const TICK_MS = 200;
/**
 * How long the outage is watched after the instance kill: many ticks and several lease TTLs.
 * TEND_OUTAGE_MS makes it longer, to see how recovery behaves after a long outage.
 */
const WATCH_OUTAGE_MS = Number(process.env.TEND_OUTAGE_MS ?? 6000);

const spec = `
groups:
  - id: ${GROUP}
    allocation: { size: ${SIZE} }
    instance: { plugin: process }
    flavor:
      plugin: vanilla
      properties:
        init: ["echo outage $$", "while true; do sleep 1; done"]
    health: { grace: 1s, unhealthyAfter: 2s, maxInFlight: 2 }
`;

interface Answer<T> {
  status: number;
  body: T | ErrorBody;
}

/** Every instance the process plugin ever started, dead or alive (one state file each). */
function instanceIdsOnDisk(stateDir: string): string[] {
  try {
    return readdirSync(stateDir).filter((name) => /^proc-[0-9a-f]+\.json$/.test(name));
  } catch {
    return [];
  }
}

/** Watches the group's processes every 50 ms: the most alive at once and any new instance. */
function instanceWatcher(stateDir: string, known: ReadonlySet<string>) {
  let maxAlive = 0;
  const created = new Set<string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      maxAlive = Math.max(maxAlive, liveInstances(stateDir, GROUP).length);
      for (const file of instanceIdsOnDisk(stateDir)) if (!known.has(file)) created.add(file);
      await sleep(50);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { maxAlive, created: [...created] };
    },
  };
}

describe('a manager whose etcd goes away', { skip: etcdSkip(), timeout: 240_000 }, () => {
  let etcd: EtcdCluster | undefined;
  let workspace: Awaited<ReturnType<typeof e2eWorkspace>> | undefined;
  let manager: ManagerProcess;
  let exitCode: number | null | undefined;
  let epochBefore = 0;
  /** The group's processes when etcd went down. */
  let beforeOutage: LiveInstance[] = [];
  /** Killed -9 during the outage: the first at once, the second once the manager stepped down. */
  const killed: LiveInstance[] = [];
  let outageWatcher: ReturnType<typeof instanceWatcher> | undefined;

  before(async () => {
    workspace = await e2eWorkspace('etcd-outage');
    etcd = await startEtcdCluster({ members: 1 });
    manager = await ManagerProcess.start({
      name: 'solo',
      dir: workspace.dir,
      stateDir: workspace.stateDir,
      store: 'etcd',
      leadership: 'etcd',
      etcdEndpoints: etcd.endpoints,
      etcdPrefix: `tend-outage-${randomBytes(4).toString('hex')}/`,
      leaseTtlSeconds: TTL_SECONDS,
      tickIntervalMs: TICK_MS,
    });
    workspace.managers.push(manager);
    void manager.exited.then((code) => {
      exitCode = code;
    });
  });

  after(async () => {
    await outageWatcher?.stop();
    await stopManager();
    await workspace?.cleanup();
    await etcd?.stop();
  });

  /**
   * SIGTERM, then SIGKILL after a grace, with a timer that does not hold the test process open:
   * ManagerProcess.stop's grace timer keeps it alive 15 s after the manager has exited.
   */
  async function stopManager(): Promise<void> {
    // Read from the workspace: `manager` is unset if `before` failed early.
    const started = workspace?.managers[0];
    if (started === undefined) return;
    started.signal('SIGTERM');
    const grace = sleep(15_000, 'timeout' as const, { ref: false });
    if ((await Promise.race([started.exited, grace])) === 'timeout') started.signal('SIGKILL');
    await started.exited;
  }

  /** A raw GET, so an error answer is seen as it is sent (status and body), not as a thrown error. */
  async function get<T>(path: string): Promise<Answer<T>> {
    const response = await fetch(`${manager.url}${path}`, {
      headers: { authorization: `Bearer ${manager.token}` },
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, body: (await response.json()) as T | ErrorBody };
  }

  async function role(): Promise<LeaderView | undefined> {
    const leader = await get<LeaderView>('/v1/leader');
    return leader.status === 200 && 'self' in leader.body ? leader.body : undefined;
  }

  /** The group as the leader sees it: converged with SIZE live processes, all of them tracked. */
  async function converged(): Promise<StatusView | undefined> {
    const status = await get<StatusView>('/v1/status');
    if (status.status !== 200 || !('groups' in status.body)) return undefined;
    const group = status.body.groups.find((g) => g.id === GROUP);
    if (group?.phase !== 'converged' || group.healthy !== SIZE || group.observed !== SIZE) return undefined;
    const live = liveInstances(workspace?.stateDir ?? '', GROUP);
    const page = await get<InstancePage>(`/v1/groups/${GROUP}/instances?limit=1000`);
    if (page.status !== 200 || !('instances' in page.body)) return undefined;
    const tracked = new Set<string>(page.body.instances.map((i) => i.id));
    return live.length === SIZE && live.every((i) => tracked.has(i.id)) ? status.body : undefined;
  }

  function kill(instance: LiveInstance | undefined): void {
    assert.ok(instance, 'an instance to kill');
    process.kill(-instance.pid, 'SIGKILL');
    killed.push(instance);
  }

  test('with etcd up, the manager leads and the group converges', async () => {
    await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
    await eventually('the apply', () => manager.client.apply(spec, { reason: 'outage e2e' }));
    const status = await eventually('the group to converge', converged);
    epochBefore = status.self.epoch ?? 0;
    assert.ok(epochBefore > 0, 'a leader has an epoch');
  });

  test('etcd down: the manager stays up, answers, and says it is not leader and why', async () => {
    assert.ok(etcd && workspace);
    beforeOutage = liveInstances(workspace.stateDir, GROUP);
    assert.equal(beforeOutage.length, SIZE);
    outageWatcher = instanceWatcher(workspace.stateDir, new Set(instanceIdsOnDisk(workspace.stateDir)));
    const startedAt = Date.now();
    await etcd.kill(0);
    // At once, while the manager may still hold its term: it cannot journal, so it must not act.
    kill(beforeOutage[0]);
    const stepDown = await eventually('the manager to stop leading', async () => {
      const view = await role();
      return view?.self.role === 'standby' ? view : undefined;
    });
    console.log(`# stepped down ${Date.now() - startedAt} ms after etcd was killed`);
    console.log(`# GET /v1/leader during the outage: ${JSON.stringify(stepDown)}`);
    assert.equal(stepDown.self.epoch, undefined, 'a standby has no epoch');
    assert.equal(stepDown.leader, null, 'no leader can be named while etcd is down');

    const status = await get<StatusView>('/v1/status');
    console.log(`# GET /v1/status during the outage: ${status.status} ${JSON.stringify(status.body)}`);
    assert.equal(status.status, 503);
    assert.ok('error' in status.body);
    assert.equal(status.body.error.kind, 'unavailable');
    assert.match(status.body.error.message, /etcd .* is unreachable/);

    // A write is refused as a standby's: the manager does not try to act on it.
    const write = await fetch(`${manager.url}/v1/groups/${GROUP}/scale`, {
      method: 'POST',
      headers: { authorization: `Bearer ${manager.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ size: SIZE + 2 }),
      signal: AbortSignal.timeout(30_000),
    });
    const writeBody = (await write.json()) as ErrorBody;
    console.log(`# POST scale during the outage: ${write.status} ${JSON.stringify(writeBody)}`);
    assert.equal(write.status, 503);
    assert.equal(writeBody.error.kind, 'not_leader');

    assert.equal(exitCode, undefined, 'the manager process is still running');
    assert.ok(isAlive(manager.pid));
  });

  test('etcd down: instances killed -9 are not replaced; nothing is created', async () => {
    assert.ok(workspace && outageWatcher);
    // Now that the manager is a standby, and for long enough that a tick would have acted.
    kill(beforeOutage[1]);
    await sleep(WATCH_OUTAGE_MS);
    const seen = await outageWatcher.stop();
    outageWatcher = undefined;
    const live = liveInstances(workspace.stateDir, GROUP);
    console.log(
      `# after ${WATCH_OUTAGE_MS} ms more outage: ${live.length} live, ${seen.created.length} created`,
    );
    assert.deepEqual(seen.created, [], 'no instance was created while etcd was down');
    assert.ok(seen.maxAlive <= SIZE);
    const survivors = beforeOutage.slice(killed.length).map((i) => i.id);
    assert.deepEqual(live.map((i) => i.id).sort(), survivors.sort(), 'nothing else was touched');
    assert.equal((await get<LeaderView>('/v1/leader')).status, 200, 'the API still answers');
    assert.equal(exitCode, undefined, 'the manager process is still running');
  });

  test('etcd back: the manager leads again by itself and heals the group, no duplicates', async () => {
    assert.ok(etcd && workspace && killed.length > 0);
    const stateDir = workspace.stateDir;
    const watcher = instanceWatcher(stateDir, new Set(instanceIdsOnDisk(stateDir)));
    const startedAt = Date.now();
    try {
      await etcd.restart(0);
      const view = await eventually('the manager to lead again', async () => {
        const current = await role();
        return current?.self.role === 'leader' ? current : undefined;
      });
      console.log(`# leader again at epoch ${view.self.epoch} ${Date.now() - startedAt} ms after restart`);
      assert.ok((view.self.epoch ?? 0) > epochBefore, 'a new term, with a higher epoch');
      await eventually('the group to heal', converged);
      console.log(`# healed ${Date.now() - startedAt} ms after etcd was restarted`);
      // A moment more: a duplicate provisioned late (a replayed intent) would show up now.
      await sleep(1000);
    } finally {
      const seen = await watcher.stop();
      console.log(`# recovery: at most ${seen.maxAlive} alive at once; ${seen.created.length} created`);
      assert.ok(seen.maxAlive <= SIZE, `${seen.maxAlive} instances alive at once`);
      assert.equal(seen.created.length, killed.length, 'one instance created per killed one');
    }
    const live = liveInstances(stateDir, GROUP);
    assert.equal(live.length, SIZE);
    const dead = new Set(killed.map((i) => i.id));
    assert.ok(!live.some((i) => dead.has(i.id)), 'no killed instance is counted as live');
    const fresh = live.filter((i) => i.tags['tend.epoch'] !== String(epochBefore));
    assert.equal(fresh.length, killed.length, 'the replacements carry the new epoch');
    assert.equal(exitCode, undefined, 'the manager process is still running');
  });
});
