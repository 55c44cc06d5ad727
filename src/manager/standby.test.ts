import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerClient } from '../api/index.js';
import { TokenStore } from '../auth/index.js';
import { groupId, TendError } from '../spi/index.js';
import { MemoryStore } from '../store/index.js';
import { Manager } from './manager.js';
import { fakeControllers, fakeResolver, ManualLeadership, sampleSpec } from './testing/manager-fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(predicate: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await predicate()) return;
    await sleep(5);
  }
  throw new Error('condition never held');
}

// Managers in HA share one token set (the leader checks forwarded tokens again).
const sharedTokens = new Map<MemoryStore, Promise<TokenStore>>();

async function managerOn(store: MemoryStore, name: string) {
  const controllers = fakeControllers();
  let tokens = sharedTokens.get(store);
  if (tokens === undefined) {
    tokens = TokenStore.open();
    sharedTokens.set(store, tokens);
  }
  let leadership: ManualLeadership | undefined;
  const manager = await Manager.create({
    name,
    store: new MemoryStore({ shareWith: store }),
    resolver: fakeResolver(),
    leadership: ({ address }) => {
      leadership = new ManualLeadership({ name, address });
      return leadership;
    },
    listen: { port: 0 },
    createController: controllers.create,
    tokens: await tokens,
  });
  cleanups.push(() => manager.stop());
  manager.start();
  if (leadership === undefined) throw new Error('leadership not built');
  return {
    manager,
    controllers,
    leadership,
    client: new ManagerClient({ url: manager.address, token: manager.localToken }),
  };
}

test('a standby forwards writes to the leader and serves history itself', async () => {
  const store = new MemoryStore();
  const m1 = await managerOn(store, 'm1');
  const m2 = await managerOn(store, 'm2');
  m1.leadership.grant(1);
  await until(() => m1.manager.isLeader());
  m2.leadership.info = m1.leadership.info;

  const applied = await m2.client.apply(sampleSpec('web', 3));
  assert.equal(applied.groups[0]?.change, 'created');
  assert.equal(m1.controllers.latest('web')?.spec.id, 'web');
  assert.equal(m2.controllers.all.length, 0);
  assert.equal((await m2.client.history('web')).revisions.length, 1);
  const status = await m2.client.status();
  assert.equal(status.leader?.name, 'm1');
  assert.equal(status.groups[0]?.phase, 'converged');
  assert.equal((await m2.client.leader()).self.role, 'standby');
});

test('with no leader known a standby answers writes with 503 not_leader and reads from the store', async () => {
  const store = new MemoryStore();
  const m1 = await managerOn(store, 'm1');
  const response = await fetch(`${m1.manager.address}/v1/apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${m1.manager.localToken}` },
    body: JSON.stringify({ document: sampleSpec('web', 1) }),
  });
  assert.equal(response.status, 503);
  const body = (await response.json()) as { error: { kind: string } };
  assert.equal(body.error.kind, 'not_leader');
  assert.deepEqual((await m1.client.status()).groups, []);
});

test('losing the lease stops every controller; the next leader picks the groups up', async () => {
  const store = new MemoryStore();
  const m1 = await managerOn(store, 'm1');
  const m2 = await managerOn(store, 'm2');
  m1.leadership.grant(1);
  await until(() => m1.manager.isLeader());
  await m1.client.apply(sampleSpec('web', 3));
  await m1.client.apply(sampleSpec('api', 1));

  m1.leadership.revoke();
  await until(() => m1.controllers.all.every((c) => c.calls.includes('stop')));
  assert.equal(m1.manager.isLeader(), false);

  m2.leadership.grant(2);
  await until(() => m2.controllers.all.length === 2);
  assert.deepEqual(
    m2.controllers.all.map((c) => c.options.epoch),
    [2, 2],
  );
  assert.equal(await store.currentFence(), 2);
});

test('a fenced journal write makes the deposed leader stop its controllers and step down', async () => {
  const store = new MemoryStore();
  const m1 = await managerOn(store, 'm1');
  m1.leadership.grant(1);
  await until(() => m1.manager.isLeader());
  await m1.client.apply(sampleSpec('web', 3));
  const controller = m1.controllers.latest('web');
  assert.ok(controller);

  await store.raiseFence(5); // a newer leader took over while m1 still believed it led
  await assert.rejects(controller.options.journal.saveState({ rollout: 'x' }), (error: unknown) =>
    TendError.is(error, 'fenced'),
  );
  await until(() => !m1.manager.isLeader() && controller.calls.includes('stop'));
  assert.equal(await store.getGroupState(groupId('web')), undefined);
  // A write through the API is refused too, not applied.
  await assert.rejects(m1.client.scale('web', 9), (error: unknown) => TendError.is(error));
  assert.equal((await store.history(groupId('web'))).length, 1);
});

test('a leader whose epoch is below the fence does not take the groups', async () => {
  const store = new MemoryStore();
  await store.raiseFence(7);
  const m1 = await managerOn(store, 'm1');
  await until(() => m1.leadership.campaigns === 1);
  m1.leadership.grant(3);
  // Refused by the fence, it steps down and campaigns again, having started nothing.
  await until(() => m1.leadership.campaigns === 2);
  assert.equal(m1.manager.isLeader(), false);
  assert.equal(m1.controllers.all.length, 0);
  assert.equal(await store.currentFence(), 7);
});
