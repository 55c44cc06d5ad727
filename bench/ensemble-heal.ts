// Time from a member's kill -9 to its ensemble healthy again (all 3 members healthy by the flavor's
// own check), median of 5 kills on rotating members, for etcd and for ZooKeeper, two ways:
// - `direct`: replacement done by hand as the controller would (prepare for the same logical ID,
//   retried while refused, then start), without the controller's tick delay;
// - `controller`: a real `tend up` manager process runs the group on the `process` plugin and
//   heals it on its own (tick 250 ms; the process plugin reports the exit at once).
// A member is killed again only once its replacement is older than the group's grace (60 s) plus
// a margin: inside grace the controller holds back judging the member, so a second kill then
// measured the grace, not healing (one ~60 s sample per series that the median hid). Real
// clock; no floor stated (the ensemble's own rejoin time bounds it); p90 and max beside the median.
// Prints a table and one final JSON line.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEtcdFlavor } from '../src/plugins/flavor/etcd/index.js';
import { createZookeeperFlavor } from '../src/plugins/flavor/zookeeper/index.js';
import {
  type FlavorPlugin,
  instanceId,
  type JsonValue,
  type LogicalId,
  logicalId,
  TendError,
} from '../src/spi/index.js';
import { freePort, killAndWait, type RunningInit, startInit, waitFor } from '../test/support/ensemble.js';
import { e2eWorkspace, liveInstances, ManagerProcess } from '../test/support/manager.js';
import { machineNote } from './_machine.js';

const machine = machineNote('real');
const GRACE_MS = 60_000;
const SPACING_MS = GRACE_MS + 5_000;

const kills = 5;
const ids: LogicalId[] = ['a', 'b', 'c'].map(logicalId);

interface Ensemble {
  name: string;
  flavor: FlavorPlugin;
  properties(root: string): Promise<JsonValue>;
}

const healthSpec = { grace: `${GRACE_MS / 1000}s`, unhealthyAfter: '5s', maxInFlight: 1 };

const ensembles: Ensemble[] = [
  {
    name: 'etcd',
    flavor: createEtcdFlavor({ requestTimeoutMs: 3000 }),
    properties: async (root) => {
      const members: Record<string, JsonValue> = {};
      for (const id of ids) members[id] = { peerPort: await freePort(), clientPort: await freePort() };
      return {
        members,
        dataDir: join(root, 'data'),
        clusterToken: 'bench',
        extraFlags: ['--heartbeat-interval=100', '--election-timeout=1000'],
      };
    },
  },
  {
    name: 'zookeeper',
    flavor: createZookeeperFlavor({ requestTimeoutMs: 3000 }),
    properties: async (root) => {
      const members: Record<string, JsonValue> = {};
      for (const id of ids) {
        members[id] = {
          clientPort: await freePort(),
          peerPort: await freePort(),
          electionPort: await freePort(),
        };
      }
      return { members, dataDir: join(root, 'data'), tickTime: 500, initLimit: 20, syncLimit: 10 };
    },
  },
];

async function measure(ensemble: Ensemble): Promise<number[]> {
  const root = await mkdtemp(join(tmpdir(), `tend-bench-${ensemble.name}-`));
  const running = new Map<string, RunningInit>();
  const { flavor } = ensemble;
  const properties = await ensemble.properties(root);
  let generation = 0;
  const prepare = async (id: LogicalId) => {
    const spec = { tags: {}, init: '', logicalId: id, attachments: [] };
    return (await flavor.prepare(properties, spec, { logicalIds: ids }, { group: 'bench', sequence: 0 }))
      .init;
  };
  const start = (id: LogicalId, init: string) =>
    running.set(id, startInit(init, join(root, `${id}.${generation++}.log`)));
  const allHealthy = async () => {
    const health = await Promise.all(
      ids.map((id) => flavor.healthy(properties, { id: instanceId(id), logicalId: id, tags: {} })),
    );
    return health.every((h) => h === 'healthy');
  };
  try {
    const inits: string[] = [];
    for (const id of ids) inits.push(await prepare(id));
    for (const [i, id] of ids.entries()) start(id, inits[i] ?? '');
    await waitFor(`${ensemble.name} healthy`, allHealthy);
    const times: number[] = [];
    for (let k = 0; k < kills; k++) {
      const id = ids[k % ids.length] ?? logicalId('a');
      const member = running.get(id);
      if (member === undefined) throw new Error(`no member ${id}`);
      const killedAt = performance.now();
      await killAndWait(member);
      let init = '';
      await waitFor(`a prepare of ${id}`, async () => {
        try {
          init = await prepare(id);
          return true;
        } catch (error) {
          if (TendError.is(error, 'unavailable') || TendError.is(error, 'conflict')) return false;
          throw error;
        }
      });
      start(id, init);
      await waitFor(`${ensemble.name} healthy after kill ${k + 1}`, allHealthy);
      times.push(performance.now() - killedAt);
    }
    return times;
  } finally {
    await Promise.all([...running.values()].map((m) => killAndWait(m)));
    await rm(root, { recursive: true, force: true });
  }
}

/** The same kills, healed by a manager process running the group through the built-in flavor. */
async function measureThroughController(ensemble: Ensemble): Promise<number[]> {
  const workspace = await e2eWorkspace(`bench-${ensemble.name}-controller`);
  const { flavor } = ensemble;
  const properties = await ensemble.properties(workspace.dir);
  const group = `bench-${ensemble.name}`;
  const allHealthy = async () => {
    const health = await Promise.all(
      ids.map((id) => flavor.healthy(properties, { id: instanceId(id), logicalId: id, tags: {} })),
    );
    return health.every((h) => h === 'healthy');
  };
  const memberOf = (id: string) =>
    liveInstances(workspace.stateDir, group).find((i) => i.tags['tend.logical'] === id);
  try {
    const manager = await ManagerProcess.start({
      name: 'bench',
      dir: workspace.dir,
      stateDir: workspace.stateDir,
      tickIntervalMs: 250,
    });
    workspace.managers.push(manager);
    await waitFor('the manager to lead', () => manager.isLeader());
    // JSON is YAML: the spec goes in as one JSON document.
    const spec = {
      groups: [
        {
          id: group,
          allocation: { logicalIds: ids },
          instance: { plugin: 'process' },
          flavor: { plugin: ensemble.name, properties },
          health: healthSpec,
          update: { maxSurge: 0, maxUnavailable: 1, healthyFor: '2s', timeout: '5m', onFailure: 'pause' },
        },
      ],
    };
    await manager.client.apply(JSON.stringify(spec), { reason: 'bench ensemble-heal' });
    await waitFor(`${ensemble.name} healthy through the controller`, allHealthy, 240_000);
    const times: number[] = [];
    const healedAt = new Map<string, number>();
    for (let k = 0; k < kills; k++) {
      const id = ids[k % ids.length] ?? logicalId('a');
      const since = performance.now() - (healedAt.get(id) ?? Number.NEGATIVE_INFINITY);
      if (since < SPACING_MS) await new Promise((resolve) => setTimeout(resolve, SPACING_MS - since));
      const victim = memberOf(id);
      if (victim === undefined) throw new Error(`no running member ${id}`);
      const killedAt = performance.now();
      process.kill(-victim.pid, 'SIGKILL');
      await waitFor(
        `${ensemble.name} healed by the controller after kill ${k + 1}`,
        async () => {
          const now = memberOf(id);
          return now !== undefined && now.id !== victim.id && (await allHealthy());
        },
        240_000,
      );
      times.push(performance.now() - killedAt);
      healedAt.set(id, performance.now());
    }
    return times;
  } finally {
    await workspace.cleanup();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

interface Result {
  medianMs: number;
  p90Ms: number;
  maxMs: number;
  samplesMs: number[];
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

const summarize = (samples: readonly number[]): Result => ({
  medianMs: Math.round(median(samples)),
  p90Ms: Math.round(quantile(samples, 0.9)),
  maxMs: Math.round(Math.max(...samples)),
  samplesMs: samples.map((s) => Math.round(s)),
});

const results: Record<string, { direct: Result; controller: Result }> = {};
for (const ensemble of ensembles) {
  results[ensemble.name] = {
    direct: summarize(await measure(ensemble)),
    controller: summarize(await measureThroughController(ensemble)),
  };
}
console.log('ensemble    path        median ms  p90 ms  max ms  samples ms');
for (const [name, r] of Object.entries(results)) {
  for (const [path, v] of [
    ['direct', r.direct],
    ['controller', r.controller],
  ] as const) {
    console.log(
      `${name.padEnd(11)} ${path.padEnd(10)} ${String(v.medianMs).padStart(10)}  ${String(v.p90Ms).padStart(6)}  ${String(v.maxMs).padStart(6)}  ${v.samplesMs.join(', ')}`,
    );
  }
}
console.log(
  JSON.stringify({
    bench: 'ensemble-heal',
    kills,
    members: 3,
    graceMs: GRACE_MS,
    killSpacingMs: SPACING_MS,
    floor: 'none (the ensemble’s own rejoin)',
    ...results,
    ...machine.finish(),
  }),
);
