// Issue #3 acceptance: a real manager process runs a group of 5 on the `process` plugin — heals
// killed instances, rolls a changed init one instance at a time without dropping below 5 healthy,
// scales and destroys — with every process checked through the plugin's state dir.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { GroupStatus } from '../../src/spi/index.js';
import { e2eWorkspace, eventually, liveInstances, ManagerProcess } from '../support/manager.js';

const spec = (version: string, size = 5) => `
groups:
  - id: workers
    allocation: { size: ${size} }
    instance: { plugin: process }
    flavor:
      plugin: vanilla
      properties:
        init:
          - echo "worker ${version} $$"
          - while true; do sleep 1; done
    health: { grace: 1s, unhealthyAfter: 2s, maxInFlight: 2 }
    update: { maxSurge: 1, maxUnavailable: 0, healthyFor: 500ms, timeout: 5m, onFailure: pause }
`;

let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
let manager: ManagerProcess;

before(async () => {
  workspace = await e2eWorkspace('manager-process');
  manager = await ManagerProcess.start({
    name: 'solo',
    dir: workspace.dir,
    stateDir: workspace.stateDir,
    tickIntervalMs: 200,
  });
  workspace.managers.push(manager);
});

after(async () => {
  await workspace.cleanup();
});

async function groupStatus(): Promise<GroupStatus | undefined> {
  if (!(await manager.client.status()).groups.some((g) => g.id === 'workers')) return undefined;
  return (await manager.client.groupStatus('workers')) ?? undefined;
}

async function converged(config?: string, size = 5): Promise<GroupStatus | undefined> {
  const status = await groupStatus();
  const ok =
    status !== undefined &&
    status.phase === 'converged' &&
    status.healthy === size &&
    status.observed === size &&
    (config === undefined || status.config === config) &&
    liveInstances(workspace.stateDir, 'workers').length === size;
  return ok ? status : undefined;
}

test('a group of 5 processes heals, rolls, scales and is destroyed', { timeout: 300_000 }, async (t) => {
  await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
  const applied = await manager.client.apply(spec('v1'), { reason: 'e2e' });
  const v1 = applied.groups[0]?.config;
  assert.ok(v1);
  await eventually('5 healthy instances', () => converged(v1));

  await t.test('kill -9 of two instances: both are replaced', async () => {
    const [a, b] = liveInstances(workspace.stateDir, 'workers');
    assert.ok(a && b);
    process.kill(-a.pid, 'SIGKILL');
    process.kill(-b.pid, 'SIGKILL');
    await eventually('the killed instances replaced', async () => {
      const ids = liveInstances(workspace.stateDir, 'workers').map((i) => i.id);
      if (ids.includes(a.id) || ids.includes(b.id)) return undefined;
      return converged(v1);
    });
  });

  await t.test('a changed init rolls one instance at a time, never below 5 healthy', async () => {
    const v2 = (await manager.client.apply(spec('v2'), { reason: 'e2e v2' })).groups[0]?.config;
    assert.ok(v2 && v2 !== v1);
    let samples = 0;
    let maxAlive = 0;
    let minHealthy = Number.POSITIVE_INFINITY;
    await eventually(
      'the rollout to finish',
      async () => {
        const status = await groupStatus();
        const alive = liveInstances(workspace.stateDir, 'workers').length;
        samples += 1;
        maxAlive = Math.max(maxAlive, alive);
        if (status !== undefined) minHealthy = Math.min(minHealthy, status.healthy);
        return converged(v2);
      },
      { intervalMs: 50, attempts: 6000 },
    );
    assert.ok(samples > 5, 'sampled the rollout several times');
    assert.ok(minHealthy >= 5, `healthy dropped to ${minHealthy}`);
    assert.ok(maxAlive <= 6, `${maxAlive} instances alive at once (5 + maxSurge 1 allowed)`);
    const all = liveInstances(workspace.stateDir, 'workers');
    assert.ok(all.every((i) => i.tags['tend.config'] === v2));
  });

  await t.test('scale to 2', async () => {
    await manager.client.scale('workers', 2);
    await eventually('2 instances', () => converged(undefined, 2));
  });

  await t.test('destroy removes every instance and the group', async () => {
    await manager.client.destroy('workers');
    await eventually('no instances left', () =>
      liveInstances(workspace.stateDir, 'workers').length === 0 ? true : undefined,
    );
    const status = await manager.client.status();
    assert.deepEqual(status.groups, []);
    const history = await manager.client.history('workers');
    assert.equal(history.revisions.at(-1)?.deleted, true);
  });
});
