// A huge `size` never hangs a manager (issue #10, item 1). A spec committed straight into the
// store with size 100,000,000 — above the ceiling, as after a limit was lowered, or within a
// raised one — must leave `tend up` answering GET /v1/status, and other groups converging.
// No timing is asserted: the status calls carry a generous hang guard only.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { GroupStatus } from '../../src/spi/index.js';
import { groupId } from '../../src/spi/index.js';
import { FileStore } from '../../src/store/index.js';
import { e2eWorkspace, eventually, ManagerProcess } from '../support/manager.js';

const HUGE = 100_000_000;
const HANG_GUARD_MS = 120_000;

const workspace = await e2eWorkspace('huge-size');
after(() => workspace.cleanup());

const group = (id: string, size: number) => ({
  id,
  allocation: { size },
  instance: { plugin: 'simulator' },
  flavor: { plugin: 'vanilla' },
});

/** Commits straight into the store, as an older manager (or a hand) would have. */
async function seedStore(storeDir: string, groups: ReturnType<typeof group>[]): Promise<void> {
  const store = await FileStore.create({ dir: storeDir });
  try {
    for (const spec of groups) {
      await store.commit({ groupId: groupId(spec.id), spec, author: 'old-manager', reason: 'seeded' });
    }
  } finally {
    await store.close();
  }
}

/** GET /v1/status, failing (not hanging) after the guard. */
async function status(manager: ManagerProcess): Promise<GroupStatus[]> {
  const response = await fetch(`${manager.url}/v1/status`, {
    headers: { authorization: `Bearer ${manager.token}` },
    signal: AbortSignal.timeout(HANG_GUARD_MS),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { groups: GroupStatus[] }).groups;
}

async function start(name: string, storeDir: string, extraArgs: string[] = []): Promise<ManagerProcess> {
  const manager = await ManagerProcess.start({
    name,
    dir: workspace.dir,
    stateDir: workspace.stateDir,
    storeDir,
    tickIntervalMs: 200,
    extraArgs,
  });
  workspace.managers.push(manager);
  await eventually('leadership', () => manager.isLeader().then((leading) => (leading ? true : undefined)));
  return manager;
}

test('a stored size above the ceiling is refused with a clear status; other groups run', {
  timeout: 600_000,
}, async () => {
  const storeDir = join(workspace.dir, 'store-refused');
  await seedStore(storeDir, [group('huge', HUGE), group('small', 2)]);
  const manager = await start('m-refused', storeDir);
  const small = await eventually('the small group to converge', async () => {
    const groups = await status(manager);
    const found = groups.find((g) => g.id === 'small');
    return found?.phase === 'converged' ? groups : undefined;
  });
  const huge = small.find((g) => g.id === 'huge');
  assert.equal(huge?.phase, 'refused');
  assert.equal(huge?.desired, HUGE);
  assert.equal(huge?.observed, 0);
  assert.match(
    huge?.lastError ?? '',
    /stored revision 1 asks for 100000000 instances, above this manager's limit of 10000 \(tend up --max-group-size\)/,
  );
  const { events } = await manager.client.events(0, undefined, { group: 'huge' });
  assert.ok(
    events.some((e) => e.type === 'refused'),
    'a refused event names the group',
  );

  // The ceiling holds at apply and scale too, naming the field and the limit.
  await assert.rejects(
    manager.client.apply(JSON.stringify(group('other', 10_001))),
    /allocation\.size: expected a whole number ≤ 10000 \(this manager's limit, tend up --max-group-size\), got 10001/,
  );
  await assert.rejects(manager.client.scale('small', 20_000), /size: expected a whole number ≤ 10000/);

  // A spec within the limit brings the group back.
  await manager.client.apply(JSON.stringify(group('huge', 3)));
  await eventually('the repaired group to converge', async () =>
    (await status(manager)).find((g) => g.id === 'huge' && g.phase === 'converged'),
  );
});

test('a size of 100,000,000 within a raised ceiling is planned a bounded step per tick', {
  timeout: 600_000,
}, async () => {
  const storeDir = join(workspace.dir, 'store-raised');
  await seedStore(storeDir, [group('huge', HUGE), group('small', 2)]);
  const manager = await start('m-raised', storeDir, [
    '--max-group-size',
    String(HUGE),
    '--max-actions-per-tick',
    '50',
  ]);
  // The API answers while the huge group is being planned, and the small one still converges.
  const groups = await eventually('the small group to converge', async () => {
    const all = await status(manager);
    return all.find((g) => g.id === 'small')?.phase === 'converged' ? all : undefined;
  });
  const huge = await eventually('the huge group to have started growing', async () => {
    const found = (await status(manager)).find((g) => g.id === 'huge');
    return found !== undefined && found.observed > 0 ? found : undefined;
  });
  assert.equal(huge.desired, HUGE);
  assert.equal(huge.phase, 'converging');
  assert.ok(groups.length === 2);
});
