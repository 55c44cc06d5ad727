// GET /v1/status must answer whatever the leader or the backends do (#10's campaign found a
// standby hanging on a frozen leader and on a paused etcd). Each case here hung before the fix;
// the tests' own timeouts are hang guards, not timing assertions.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { afterEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerClient } from '../api/index.js';
import { TokenStore } from '../auth/index.js';
import { MemoryStore } from '../store/index.js';
import { Manager } from './manager.js';
import { fakeControllers, fakeResolver, ManualLeadership, sampleSpec } from './testing/manager-fixtures.js';

const guard = { timeout: 20_000 };
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

async function managerOn(store: MemoryStore, name: string, tokens: TokenStore) {
  let leadership: ManualLeadership | undefined;
  const own = new MemoryStore({ shareWith: store });
  const manager = await Manager.create({
    name,
    store: own,
    resolver: fakeResolver(),
    leadership: ({ address }) => {
      leadership = new ManualLeadership({ name, address });
      return leadership;
    },
    listen: { port: 0 },
    createController: fakeControllers().create,
    tokens,
  });
  cleanups.push(() => manager.stop());
  manager.start();
  if (leadership === undefined) throw new Error('leadership not built');
  const client = new ManagerClient({ url: manager.address, token: manager.localToken });
  return { manager, leadership, store: own, client };
}

/** A "leader" that accepts connections and never answers: a frozen (SIGSTOPped) process. */
async function frozenLeader(): Promise<string> {
  const held: Array<() => void> = [];
  const server: Server = createServer((_req, res) => held.push(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const release of held) release();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

async function withGroupOnStandby() {
  const store = new MemoryStore();
  const tokens = await TokenStore.open();
  const m1 = await managerOn(store, 'm1', tokens);
  const m2 = await managerOn(store, 'm2', tokens);
  m1.leadership.grant(1);
  await until(() => m1.manager.isLeader());
  await m1.client.apply(sampleSpec('web', 2));
  return { m1, m2 };
}

const never = <T>() => new Promise<T>(() => undefined);

test('a standby whose leader is frozen answers status from the store', guard, async () => {
  const { m2 } = await withGroupOnStandby();
  m2.leadership.info = { name: 'frozen', address: await frozenLeader(), epoch: 7 };
  const status = await m2.client.status();
  assert.equal(status.leader?.name, 'frozen');
  assert.deepEqual(
    status.groups.map((g) => [g.id, g.phase]),
    [['web', 'blind']],
  );
});

test('status answers while the leadership backend hangs, with the leader last known', guard, async () => {
  const { m1, m2 } = await withGroupOnStandby();
  m2.leadership.info = { name: 'frozen', address: await frozenLeader(), epoch: 7 };
  assert.equal((await m2.client.status()).leader?.name, 'frozen');
  m2.leadership.leader = never;
  const status = await m2.client.status();
  assert.equal(status.leader?.name, 'frozen');
  assert.equal(status.groups[0]?.id, 'web');
  // The leader itself never asks the backend for its own leadership.
  m1.leadership.leader = never;
  assert.equal((await m1.client.status()).leader?.name, 'm1');
});

test('a standby whose store hangs answers the groups as last read, saying so', guard, async () => {
  const { m2 } = await withGroupOnStandby();
  assert.equal((await m2.client.status()).groups[0]?.id, 'web');
  m2.store.list = never;
  // Past the read cache's lifetime, so the next status is computed again.
  await sleep(300);
  const status = await m2.client.status();
  assert.equal(status.groups[0]?.id, 'web');
  assert.match(status.groups[0]?.lastError ?? '', /the store did not answer within \d+ ms; as last read/);
});

// Fault campaign, etcd paused: the leader's lease ran out and its term ended; as a standby it had
// never read the store, so its status failed `unavailable` instead of answering.
test('a leader stepping down while its store hangs answers the groups it ran, saying so', guard, async () => {
  const { m1 } = await withGroupOnStandby();
  m1.store.list = never;
  m1.leadership.info = undefined;
  m1.leadership.revoke();
  await until(() => !m1.manager.isLeader());
  const status = await m1.client.status();
  assert.deepEqual(
    status.groups.map((g) => [g.id, g.phase, g.desired]),
    [['web', 'blind', 2]],
  );
  assert.match(status.groups[0]?.lastError ?? '', /the store did not answer within \d+ ms; as last read at /);
});

// The same with the standby: every status it served came from the leader, so it had never read
// the store itself when etcd paused (it reads on its own now, at start and every few seconds).
test('a standby whose reads all went to the leader answers when its store hangs', guard, async () => {
  const { m1, m2 } = await withGroupOnStandby();
  m2.leadership.info = m1.leadership.info;
  assert.equal((await m2.client.status()).self.name, 'm1', 'answered by the leader');
  m2.store.list = never;
  m1.leadership.revoke();
  m2.leadership.info = undefined;
  await until(() => !m1.manager.isLeader());
  await sleep(300); // past the read cache's lifetime
  const status = await m2.client.status();
  assert.equal(status.self.name, 'm2');
  assert.equal(status.leader, null);
});
