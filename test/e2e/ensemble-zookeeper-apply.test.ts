// Issue #6 acceptance through Tend itself: `tend apply` of a 3-member ZooKeeper group (logical IDs
// a, b, c; flavor zookeeper; instance plugin process) to a real manager process builds a real
// ensemble, and heals two kill -9s on different members under the same logical IDs and server ids,
// with a znode written before read back after.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/ensemble.js';
import {
  e2eWorkspace,
  eventually,
  type LiveInstance,
  liveInstances,
  ManagerProcess,
  runCli,
} from '../support/manager.js';
import { modeOf, zkCli, zkGet, zookeeperSkip } from '../support/zookeeper.js';

const group = 'zk';
const ids = ['a', 'b', 'c'] as const;

interface Ports {
  clientPort: number;
  peerPort: number;
  electionPort: number;
}

function specYaml(ports: ReadonlyMap<string, Ports>, dataDir: string): string {
  const members = ids
    .map((id) => {
      const p = ports.get(id);
      return `          ${id}: { clientPort: ${p?.clientPort}, peerPort: ${p?.peerPort}, electionPort: ${p?.electionPort} }`;
    })
    .join('\n');
  return `
groups:
  - id: ${group}
    allocation: { logicalIds: [${ids.join(', ')}] }
    instance: { plugin: process }
    flavor:
      plugin: zookeeper
      properties:
        members:
${members}
        dataDir: ${JSON.stringify(dataDir)}
        tickTime: 500
        initLimit: 20
        syncLimit: 10
    health: { grace: 60s, unhealthyAfter: 5s, maxInFlight: 1 }
    update: { maxSurge: 0, maxUnavailable: 1, healthyFor: 2s, timeout: 5m, onFailure: pause }
`;
}

describe('tend apply: a 3-member ZooKeeper group on the process plugin', { skip: zookeeperSkip() }, () => {
  let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
  let manager: ManagerProcess;
  const ports = new Map<string, Ports>();
  let servers = '';

  const members = (): LiveInstance[] => liveInstances(workspace.stateDir, group);
  const memberOf = (id: string) => members().find((i) => i.tags['tend.logical'] === id);
  /** One leader and two followers, each asked directly. */
  const ensembleServing = async (): Promise<string[] | undefined> => {
    const modes = await Promise.all(ids.map((id) => modeOf(ports.get(id)?.clientPort ?? 0)));
    const sorted = modes.map((m) => m ?? 'down').sort();
    return sorted.join() === 'follower,follower,leader' ? sorted : undefined;
  };

  before(async () => {
    workspace = await e2eWorkspace('ensemble-zookeeper-apply');
    for (const id of ids) {
      ports.set(id, {
        clientPort: await freePort(),
        peerPort: await freePort(),
        electionPort: await freePort(),
      });
    }
    servers = ids.map((id) => `127.0.0.1:${ports.get(id)?.clientPort}`).join(',');
    manager = await ManagerProcess.start({
      name: 'ensemble',
      dir: workspace.dir,
      stateDir: workspace.stateDir,
      tickIntervalMs: 250,
    });
    workspace.managers.push(manager);
    await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
  });

  after(async () => {
    // Stops the manager, SIGKILLs every instance's process group found in the state dir (the JVMs),
    // removes the temp dir with the ZooKeeper data.
    await workspace?.cleanup();
  });

  it('tend apply builds a serving 3-member ensemble', { timeout: 240_000 }, async () => {
    const specFile = join(workspace.dir, 'zk.yaml');
    await writeFile(specFile, specYaml(ports, join(workspace.dir, 'zk-data')));
    const started = performance.now();
    const result = await runCli(['apply', '-f', specFile, '--manager', manager.url, '--timeout', '3m'], {
      TEND_TOKEN: manager.token,
    });
    assert.equal(result.code, 0, `tend apply failed:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /converged/);
    await eventually('one leader and two followers', ensembleServing, { intervalMs: 250 });
    console.log(`# zookeeper: apply → converged + serving in ${Math.round(performance.now() - started)} ms`);
    assert.deepEqual(
      members()
        .map((m) => m.tags['tend.logical'])
        .sort(),
      [...ids],
    );
    await zkCli(servers, 'create', '/tend-apply-e2e', 'kept');
  });

  for (const victim of ['b', 'a'] as const) {
    it(`kill -9 of member ${victim}: replaced under the same logical ID, znode kept`, {
      timeout: 240_000,
    }, async () => {
      const before = memberOf(victim);
      assert.ok(before, `member ${victim} is not running`);
      const killedAt = performance.now();
      process.kill(-before.pid, 'SIGKILL');
      const after = await eventually(
        `a new instance for ${victim}`,
        () => {
          const now = memberOf(victim);
          return now !== undefined && now.id !== before.id ? now : undefined;
        },
        { intervalMs: 100 },
      );
      await eventually('one leader and two followers again', ensembleServing, { intervalMs: 250 });
      const healed = Math.round(performance.now() - killedAt);
      console.log(
        `# zookeeper: kill -9 ${victim} → ensemble serving again in ${healed} ms (${before.id} → ${after.id})`,
      );
      assert.equal(after.tags['tend.logical'], victim);
      assert.equal(
        after.tags['zookeeper.id'],
        before.tags['zookeeper.id'],
        'rejoined under the same server id',
      );
      assert.equal(members().length, 3);
      assert.equal(await zkGet(servers, '/tend-apply-e2e'), 'kept');
      await eventually('the group converged', async () => {
        const status = (await manager.client.status()).groups.find((g) => g.id === group);
        return status?.phase === 'converged' && status.healthy === 3 ? status : undefined;
      });
    });
  }
});
