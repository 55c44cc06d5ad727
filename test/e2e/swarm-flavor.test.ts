// Issue #15, the swarm flavor on a real swarm: three dockerd managers in network namespaces (real
// SwarmKit Raft), and a worker group of 3 run by a real `tend up` through `tend apply`. Each worker
// is a `process` instance that starts a dockerd in a spare namespace (test/support/swarm.ts) and
// joins with the token the flavor fetched. Kill a worker's engine: replaced, the new node joins,
// the dead node is removed. A rolling update drains each node before it is destroyed.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSwarmFlavor, type SwarmNode } from '../../src/plugins/flavor/swarm/index.js';
import { createDockerSwarmGateway } from '../../src/plugins/flavor/swarm/swarm-gateway.js';
import type { FlavorPlugin, JsonValue } from '../../src/spi/index.js';
import { runFlavorPluginContract } from '../support/contract/plugin-contract.js';
import { cliApply, e2eManager, eventually, type ManagerProcess } from '../support/manager.js';
import {
  killHostProcesses,
  startSwarm,
  swarmGroupYaml,
  swarmSkipReason,
  type TestSwarm,
} from '../support/swarm.js';

const group = 'workers';
let swarm: TestSwarm | undefined;

function live(): TestSwarm {
  if (swarm === undefined) throw new Error('swarm not started');
  return swarm;
}

const managerSockets = () => live().engines.map((e) => `unix://${e.socketPath}`);

/** The flavor with the live swarm's properties, whatever the contract passes (known only once started). */
function bound(role: 'worker' | 'manager'): FlavorPlugin {
  const plugin = createSwarmFlavor();
  const props = (): JsonValue => ({ role, managers: managerSockets() });
  return {
    validate: (_p, allocation, o) => plugin.validate(props(), allocation, o),
    prepare: (_p, spec, allocation, index, o) => plugin.prepare(props(), spec, allocation, index, o),
    healthy: (_p, instance, o) => plugin.healthy(props(), instance, o),
    drain: (_p, instance, o) => plugin.drain(props(), instance, o),
  };
}

function specYaml(version: string): string {
  const s = live();
  return swarmGroupYaml({
    group,
    allocation: '{ size: 3 }',
    role: 'worker',
    managers: managerSockets(),
    spare: s.hosts.hosts.slice(s.engines.length),
    dir: s.hosts.dir,
    version,
  });
}

async function nodes(): Promise<SwarmNode[]> {
  return createDockerSwarmGateway({ endpoints: managerSockets() }).nodes();
}

/** The group's ready, active workers, once there are exactly `count` and nothing else of the group. */
async function readyWorkers(count: number): Promise<SwarmNode[] | undefined> {
  const mine = (await nodes()).filter((n) => n.link?.startsWith(`${group}/`) === true);
  const ready = mine.filter((n) => n.state === 'ready' && n.availability === 'active');
  return ready.length === count && mine.length === count ? ready : undefined;
}

describe('swarm flavor on a real swarm', { skip: swarmSkipReason() }, () => {
  let workspace: Awaited<ReturnType<typeof e2eManager>>['workspace'];
  let manager: ManagerProcess;
  let specFile = '';

  const apply = async (version: string) => {
    await writeFile(specFile, specYaml(version));
    await cliApply(manager, specFile);
  };

  before(async () => {
    swarm = await startSwarm({ managers: 3, spareHosts: 5 });
    ({ workspace, manager } = await e2eManager('swarm-flavor'));
    specFile = join(workspace.dir, 'workers.yaml');
  });

  after(async () => {
    await workspace?.cleanup();
    await swarm?.close();
  });

  runFlavorPluginContract('swarm workers (real swarm)', async () => ({ plugin: bound('worker') }));
  runFlavorPluginContract('swarm managers (real swarm)', async () => ({ plugin: bound('manager') }), {
    allocations: 'logical-ids-only',
  });

  it('tend apply: 3 workers join the swarm and are Ready', { timeout: 480_000 }, async () => {
    const started = performance.now();
    await apply('v1');
    const ready = await eventually('3 ready workers of the group', () => readyWorkers(3), {
      intervalMs: 500,
    });
    console.log(`# swarm: apply → 3 workers Ready in ${Math.round(performance.now() - started)} ms`);
    assert.equal(ready.filter((n) => n.role === 'worker').length, 3);
  });

  it('kill a worker’s engine: replaced, the new node joins, the dead node is removed', {
    timeout: 480_000,
  }, async () => {
    const before = (await readyWorkers(3)) ?? [];
    const victim = before[0];
    assert.ok(victim, 'no worker to kill');
    const host = live().hosts.hosts.find((h) => h.name === victim.hostname);
    assert.ok(host, `no test host named ${victim.hostname}`);
    const killedAt = performance.now();
    killHostProcesses(host);
    const healed = await eventually(
      '3 ready workers again, the dead node gone',
      async () => {
        const ready = await readyWorkers(3);
        const all = await nodes();
        return ready !== undefined && !all.some((n) => n.id === victim.id) ? ready : undefined;
      },
      { intervalMs: 500 },
    );
    console.log(
      `# swarm: engine kill → replaced and dead node removed in ${Math.round(performance.now() - killedAt)} ms`,
    );
    assert.equal(healed.filter((n) => before.some((b) => b.id === n.id)).length, 2, 'the two others stay');
  });

  it('a rolling update drains each node before destroying it', { timeout: 600_000 }, async () => {
    const old = (await readyWorkers(3)) ?? [];
    assert.equal(old.length, 3);
    const events = await watchNodeEvents();
    try {
      await apply('v2');
      const fresh = await eventually(
        '3 new ready workers, the old nodes removed',
        async () => {
          const ready = await readyWorkers(3);
          return ready?.every((n) => !old.some((o) => o.id === n.id)) ? ready : undefined;
        },
        { intervalMs: 500 },
      );
      assert.equal(fresh.length, 3);
      for (const node of old) {
        const seen = events.seen.filter((e) => e.id === node.id);
        const drained = seen.findIndex((e) => e.attributes['availability.new'] === 'drain');
        const down = seen.findIndex((e) => e.attributes['state.new'] === 'down' || e.action === 'remove');
        assert.ok(drained >= 0, `node ${node.hostname} was never set to drain: ${JSON.stringify(seen)}`);
        assert.ok(
          down > drained,
          `node ${node.hostname} went down before it was drained: ${JSON.stringify(seen)}`,
        );
      }
    } finally {
      events.stop();
    }
  });
});

interface NodeEvent {
  id: string;
  action: string;
  attributes: Record<string, string>;
}

/** Node events from the Raft leader's engine, in the swarm's order. */
async function watchNodeEvents(): Promise<{ seen: NodeEvent[]; stop: () => void }> {
  const engine = await live().leader();
  const seen: NodeEvent[] = [];
  const stream = (await engine.docker.getEvents({
    filters: JSON.stringify({ type: ['node'] }),
  })) as NodeJS.ReadableStream & { destroy?: () => void };
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let cut = buffer.indexOf('\n'); cut >= 0; cut = buffer.indexOf('\n')) {
      const line = buffer.slice(0, cut).trim();
      buffer = buffer.slice(cut + 1);
      if (line === '') continue;
      const event = JSON.parse(line) as {
        Action?: string;
        Actor?: { ID?: string; Attributes?: Record<string, string> };
      };
      seen.push({
        id: event.Actor?.ID ?? '',
        action: event.Action ?? '',
        attributes: event.Actor?.Attributes ?? {},
      });
    }
  });
  stream.on('error', () => undefined);
  return { seen, stop: () => stream.destroy?.() };
}
