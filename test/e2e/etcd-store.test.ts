import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { groupId, TendError } from '../../src/spi/index.js';
import { EtcdStore } from '../../src/store/index.js';
import { runStoreContract } from '../support/contract/store-contract.js';
import { type EtcdCluster, etcdSkip, startEtcdCluster } from '../support/etcd.js';

let cluster: EtcdCluster | undefined;
let next = 0;

function endpoints(): string[] {
  if (cluster === undefined) throw new Error('etcd cluster not started');
  return cluster.endpoints;
}

describe('EtcdStore on a real etcd', { skip: etcdSkip() }, () => {
  before(async () => {
    cluster = await startEtcdCluster({ members: 1 });
  });
  after(async () => {
    await cluster?.stop();
  });

  runStoreContract('EtcdStore', async () => {
    const prefix = `tend-test/${process.pid}/${next++}/`;
    const store = await EtcdStore.create({ endpoints: endpoints(), prefix });
    return { store, reopen: () => EtcdStore.create({ endpoints: endpoints(), prefix }) };
  });

  test('a damaged value names its key and marks only its own group damaged', async () => {
    const prefix = `tend-test/${process.pid}/damaged/`;
    const store = await EtcdStore.create({ endpoints: endpoints(), prefix });
    try {
      await store.commit({ groupId: groupId('db'), spec: 1, author: 'a', reason: 'r' });
      await store.commit({ groupId: groupId('web'), spec: 1, author: 'a', reason: 'r' });
      const { Etcd3 } = await import('etcd3');
      const raw = new Etcd3({ hosts: endpoints() });
      await raw.put(`${prefix}latest/web`).value('{"groupId":');
      raw.close();
      await assert.rejects(store.latest(groupId('web')), (e: unknown) => {
        assert.ok(TendError.is(e, 'internal'), String(e));
        assert.match(e.message, /etcd key latest\/web is damaged: not valid JSON/);
        return true;
      });
      assert.deepEqual(
        (await store.list()).map((r) => r.groupId),
        ['db'],
      );
      const damaged = await store.listDamaged();
      assert.deepEqual(
        damaged.map((d) => d.groupId),
        ['web'],
      );
      assert.match(damaged[0]?.problem ?? '', /latest\/web is damaged/);
    } finally {
      await store.close();
    }
  });
});

describe('EtcdStore when etcd is unreachable', { skip: etcdSkip() }, () => {
  test('create fails unavailable, naming the endpoint, within its bound', async () => {
    // Nothing listens on port 9 (discard) on loopback here.
    await assert.rejects(
      EtcdStore.create({ endpoints: ['http://127.0.0.1:9'], prefix: 'x/', timeoutMs: 1500 }),
      (e: unknown) => {
        assert.ok(TendError.is(e, 'unavailable'), String(e));
        assert.match(e.message, /etcd at http:\/\/127\.0\.0\.1:9 is unreachable/);
        return true;
      },
    );
  });

  test('a store whose etcd dies answers unavailable, then works again after a restart', async () => {
    const own = await startEtcdCluster({ members: 1 });
    try {
      const store = await EtcdStore.create({ endpoints: own.endpoints, prefix: 'p/', timeoutMs: 1500 });
      await store.commit({ groupId: groupId('web'), spec: 1, author: 'a', reason: 'r' });
      await own.kill(0);
      await assert.rejects(store.latest(groupId('web')), (e: unknown) => TendError.is(e, 'unavailable'));
      await assert.rejects(
        store.commit({ groupId: groupId('web'), spec: 2, author: 'a', reason: 'r' }),
        (e: unknown) => TendError.is(e, 'unavailable'),
      );
      await own.restart(0);
      let latest: number | undefined;
      for (let i = 0; i < 50 && latest === undefined; i++) {
        latest = await store.latest(groupId('web')).then(
          (r) => r?.revision,
          () => undefined,
        );
      }
      assert.equal(latest, 1);
      await store.close();
    } finally {
      await own.stop();
    }
  });
});
