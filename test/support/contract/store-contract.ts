import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ConfigStore,
  groupId,
  type Intent,
  TendError,
  type TendErrorKind,
} from '../../../src/spi/index.js';

/** What a backend's test hands the shared suite. */
export interface StoreFixture {
  store: ConfigStore;
  /** Opens a second store object on the same backend, as another manager process would. */
  reopen?: () => Promise<ConfigStore>;
  cleanup?: () => Promise<void>;
}

const web = groupId('web');
const db = groupId('db');

async function rejectsWith(promise: Promise<unknown>, kind: TendErrorKind): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(TendError.is(error), `expected a TendError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    return true;
  });
}

function intent(key: string, epoch = 1): Intent {
  return {
    key,
    groupId: web,
    operation: 'provision',
    config: 'abc123',
    slot: 2,
    epoch,
    at: '2024-01-01T00:00:00.000Z',
  };
}

/**
 * The behaviour every ConfigStore must share (Hono-style: each backend's test calls this with a
 * factory). Each test gets a fresh, empty backend and cleans it up, pass or fail.
 */
export function runStoreContract(name: string, create: () => Promise<StoreFixture>): void {
  const withStore = (title: string, body: (fixture: StoreFixture) => Promise<void>) =>
    test(title, async () => {
      const fixture = await create();
      try {
        await body(fixture);
      } finally {
        await fixture.store.close();
        await fixture.cleanup?.();
      }
    });

  describe(`${name}: ConfigStore contract`, () => {
    withStore('an empty store has no groups, intents or fence', async ({ store }) => {
      assert.equal(await store.latest(web), undefined);
      assert.deepEqual(await store.list(), []);
      assert.deepEqual(await store.history(web), []);
      assert.deepEqual(await store.listIntents(), []);
      assert.equal(await store.getGroupState(web), undefined);
      assert.equal(await store.currentFence(), 0);
    });

    withStore('commits number revisions 1, 2, 3 per group and keep them in order', async ({ store }) => {
      const first = await store.commit({ groupId: web, spec: { size: 1 }, author: 'ann', reason: 'create' });
      assert.equal(first.revision, 1);
      assert.equal(first.groupId, web);
      assert.equal(first.author, 'ann');
      assert.equal(first.reason, 'create');
      assert.ok(!Number.isNaN(Date.parse(first.at)), `at is ISO-8601: ${first.at}`);
      await store.commit({ groupId: web, spec: { size: 2 }, author: 'bob', reason: 'scale' });
      await store.commit({ groupId: db, spec: { size: 9 }, author: 'ann', reason: 'create' });
      const third = await store.commit({
        groupId: web,
        spec: { size: 3, tags: ['a'] },
        author: 'cy',
        reason: 'x',
      });
      assert.equal(third.revision, 3);
      assert.deepEqual(await store.latest(web), third);
      const history = await store.history(web);
      assert.deepEqual(
        history.map((r) => [r.revision, r.spec]),
        [
          [1, { size: 1 }],
          [2, { size: 2 }],
          [3, { size: 3, tags: ['a'] }],
        ],
      );
      const listed = (await store.list()).sort((a, b) => a.groupId.localeCompare(b.groupId));
      assert.deepEqual(
        listed.map((r) => [r.groupId, r.revision]),
        [
          [db, 1],
          [web, 3],
        ],
      );
    });

    withStore(
      'compare-and-set on expectedRevision fails with conflict and changes nothing',
      async ({ store }) => {
        await store.commit({ groupId: web, spec: 1, author: 'a', reason: 'r', expectedRevision: 0 });
        await rejectsWith(
          store.commit({ groupId: web, spec: 2, author: 'a', reason: 'r', expectedRevision: 0 }),
          'conflict',
        );
        await store.commit({ groupId: web, spec: 3, author: 'a', reason: 'r', expectedRevision: 1 });
        await rejectsWith(
          store.commit({ groupId: web, spec: 4, author: 'a', reason: 'r', expectedRevision: 1 }),
          'conflict',
        );
        assert.deepEqual(
          (await store.history(web)).map((r) => r.spec),
          [1, 3],
        );
      },
    );

    withStore('concurrent commits expecting the same revision: exactly one wins', async (fixture) => {
      const other = fixture.reopen === undefined ? fixture.store : await fixture.reopen();
      try {
        await fixture.store.commit({ groupId: web, spec: 0, author: 'a', reason: 'r' });
        const stores = [fixture.store, other, fixture.store, other, fixture.store];
        const results = await Promise.allSettled(
          stores.map((s, i) =>
            s.commit({ groupId: web, spec: i, author: 'a', reason: 'r', expectedRevision: 1 }),
          ),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) {
          if (r.status === 'rejected') assert.ok(TendError.is(r.reason, 'conflict'), String(r.reason));
        }
        assert.equal((await fixture.store.latest(web))?.revision, 2);
      } finally {
        if (other !== fixture.store) await other.close();
      }
    });

    withStore(
      'fencing: writes with an epoch older than the fence fail fenced and change nothing',
      async ({ store }) => {
        await store.commit({ groupId: web, spec: 'v1', author: 'a', reason: 'r', epoch: 1 });
        await store.putIntent(intent('op-1'), { epoch: 1 });
        await store.putGroupState(web, { step: 1 }, { epoch: 1 });
        await store.raiseFence(5);
        assert.equal(await store.currentFence(), 5);
        await rejectsWith(
          store.commit({ groupId: web, spec: 'old', author: 'a', reason: 'r', epoch: 4 }),
          'fenced',
        );
        await rejectsWith(store.remove(web, { author: 'a', reason: 'r', epoch: 4 }), 'fenced');
        await rejectsWith(store.putIntent(intent('op-2'), { epoch: 4 }), 'fenced');
        await rejectsWith(store.clearIntent('op-1', { epoch: 4 }), 'fenced');
        await rejectsWith(store.putGroupState(web, { step: 99 }, { epoch: 4 }), 'fenced');
        assert.deepEqual(
          (await store.history(web)).map((r) => r.spec),
          ['v1'],
        );
        assert.deepEqual(
          (await store.listIntents()).map((i) => i.key),
          ['op-1'],
        );
        assert.deepEqual(await store.getGroupState(web), { step: 1 });
        // The current epoch, a newer one, and unfenced writes still go through.
        await store.commit({ groupId: web, spec: 'v2', author: 'a', reason: 'r', epoch: 5 });
        await store.putGroupState(web, { step: 2 }, { epoch: 6 });
        await store.commit({ groupId: web, spec: 'v3', author: 'a', reason: 'r' });
        assert.equal((await store.latest(web))?.revision, 3);
      },
    );

    withStore('raiseFence never goes down', async ({ store }) => {
      await store.raiseFence(3);
      await store.raiseFence(3);
      await rejectsWith(store.raiseFence(2), 'fenced');
      assert.equal(await store.currentFence(), 3);
      await store.raiseFence(10);
      assert.equal(await store.currentFence(), 10);
    });

    withStore(
      'remove leaves a tombstone and keeps history; a later commit continues it',
      async ({ store }) => {
        await store.commit({ groupId: web, spec: 1, author: 'a', reason: 'r' });
        await store.commit({ groupId: web, spec: 2, author: 'a', reason: 'r' });
        await store.commit({ groupId: db, spec: 1, author: 'a', reason: 'r' });
        await store.remove(web, { author: 'bob', reason: 'retired' });
        const tombstone = await store.latest(web);
        assert.equal(tombstone?.revision, 3);
        assert.equal(tombstone?.deleted, true);
        assert.equal(tombstone?.author, 'bob');
        assert.deepEqual(
          (await store.list()).map((r) => r.groupId),
          [db],
        );
        assert.equal((await store.history(web)).length, 3);
        await rejectsWith(store.remove(web, { author: 'a', reason: 'again' }), 'not_found');
        await rejectsWith(store.remove(groupId('nope'), { author: 'a', reason: 'r' }), 'not_found');
        const revived = await store.commit({
          groupId: web,
          spec: 3,
          author: 'a',
          reason: 'back',
          expectedRevision: 3,
        });
        assert.equal(revived.revision, 4);
        assert.equal(revived.deleted, undefined);
      },
    );

    withStore('intents: put, overwrite, list, clear', async ({ store }) => {
      await store.putIntent(intent('op/b'));
      await store.putIntent(intent('op-a'));
      await store.putIntent({ ...intent('op-a'), instanceId: 'i-1', logicalId: 'l1' });
      const listed = (await store.listIntents()).sort((a, b) => a.key.localeCompare(b.key));
      assert.deepEqual(listed, [{ ...intent('op-a'), instanceId: 'i-1', logicalId: 'l1' }, intent('op/b')]);
      await store.clearIntent('op-a');
      await store.clearIntent('never-there');
      assert.deepEqual(await store.listIntents(), [intent('op/b')]);
    });

    withStore('group state: put, get, overwrite', async ({ store }) => {
      const state = { rollout: { from: 'h1', to: 'h2', done: [1, 2] }, paused: false, note: null };
      await store.putGroupState(web, state);
      assert.deepEqual(await store.getGroupState(web), state);
      await store.putGroupState(web, 'paused');
      assert.equal(await store.getGroupState(web), 'paused');
      assert.equal(await store.getGroupState(db), undefined);
    });

    withStore('group IDs and keys with odd characters round-trip', async ({ store }) => {
      for (const id of ['a/b', '..', 'ü .x', '%41']) {
        await store.commit({ groupId: groupId(id), spec: id, author: 'a', reason: 'r' });
        await store.putGroupState(groupId(id), id);
        assert.equal((await store.latest(groupId(id)))?.spec, id);
        assert.equal(await store.getGroupState(groupId(id)), id);
      }
      assert.deepEqual((await store.list()).map((r) => r.groupId).sort(), ['%41', '..', 'a/b', 'ü .x']);
    });

    withStore('two store objects on one backend see each other’s writes and fence', async (fixture) => {
      if (fixture.reopen === undefined) return;
      const other = await fixture.reopen();
      try {
        await fixture.store.commit({ groupId: web, spec: 'a', author: 'a', reason: 'r' });
        await other.commit({ groupId: web, spec: 'b', author: 'b', reason: 'r', expectedRevision: 1 });
        assert.equal((await fixture.store.latest(web))?.spec, 'b');
        await other.putIntent(intent('k'));
        assert.deepEqual(await fixture.store.listIntents(), [intent('k')]);
        await fixture.store.putGroupState(web, 7);
        assert.equal(await other.getGroupState(web), 7);
        await other.raiseFence(2);
        assert.equal(await fixture.store.currentFence(), 2);
        await rejectsWith(fixture.store.putGroupState(web, 8, { epoch: 1 }), 'fenced');
        assert.equal(await other.getGroupState(web), 7);
      } finally {
        await other.close();
      }
    });
  });
}
