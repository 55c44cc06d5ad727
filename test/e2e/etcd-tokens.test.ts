// The token set in a real etcd: what one manager creates or revokes, every other sees (a revoked
// token refused once the 1 s recheck passes, on an injected clock); the first admin token is
// made once however many managers start together; damage fails closed; an outage keeps the last
// set for verification and refuses changes with `unavailable`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { connectEtcd } from '../../src/lib/index.js';
import { EtcdTokenBackend, TokenStore } from '../../src/manager/index.js';
import { TendError } from '../../src/spi/index.js';
import { type EtcdCluster, etcdSkip, startEtcdCluster } from '../support/etcd.js';

describe('tokens in etcd', { skip: etcdSkip(), timeout: 120_000 }, () => {
  let etcd: EtcdCluster | undefined;
  const opened: TokenStore[] = [];

  before(async () => {
    etcd = await startEtcdCluster({ members: 1 });
  });

  after(async () => {
    await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
    await etcd?.stop();
  });

  function endpoints(): string[] {
    assert.ok(etcd);
    return etcd.endpoints;
  }

  /** Two managers' token stores on one prefix, each with its own clock. */
  async function pair(prefix = `tok-${randomBytes(4).toString('hex')}/`) {
    const clock = { a: 0, b: 0 };
    const open = async (now: () => number) => {
      const backend = await EtcdTokenBackend.open({ endpoints: endpoints(), prefix, timeoutMs: 1500 });
      const store = await TokenStore.open({ backend, now });
      opened.push(store);
      return store;
    };
    return { prefix, clock, a: await open(() => clock.a), b: await open(() => clock.b) };
  }

  test('made on one manager, it works on another; revoked there, it is refused here', async () => {
    const { clock, a, b } = await pair();
    const { token } = await a.create('ann', 'viewer');
    // B has not read since: an unknown secret makes it read again (after 100 ms of its clock).
    clock.b = 200;
    assert.deepEqual(await b.verify(token), { name: 'ann', role: 'viewer' });
    assert.deepEqual(await a.verify(token), { name: 'ann', role: 'viewer' });

    await b.revoke('ann');
    assert.equal(await b.verify(token), undefined, 'refused at once where it was revoked');
    clock.a = 700; // within A's recheck: the known token holds, no etcd read
    assert.deepEqual(await a.verify(token), { name: 'ann', role: 'viewer' });
    clock.a = 1300;
    assert.equal(await a.verify(token), undefined, 'refused by the other once it read again');
    assert.deepEqual(await a.list(), []);
  });

  test('names are unique across managers; revoking an unknown name is not_found', async () => {
    const { a, b } = await pair();
    await a.create('ops', 'operator');
    await assert.rejects(b.create('ops', 'admin'), (e) => TendError.is(e, 'conflict'));
    await assert.rejects(a.revoke('nobody'), (e) => TendError.is(e, 'not_found'));
    assert.deepEqual(
      (await b.list()).map((t) => [t.name, t.role]),
      [['ops', 'operator']],
    );
  });

  test('managers starting together make exactly one first admin token', async () => {
    const prefix = `tok-${randomBytes(4).toString('hex')}/`;
    const stores = await Promise.all(
      [1, 2, 3, 4].map(async () => {
        const store = await TokenStore.open({
          backend: await EtcdTokenBackend.open({ endpoints: endpoints(), prefix }),
        });
        opened.push(store);
        return store;
      }),
    );
    const results = await Promise.allSettled(
      stores.map((s, i) => s.create(i % 2 === 0 ? 'admin' : `admin-${i}`, 'admin', { onlyIfEmpty: true })),
    );
    const made = results.filter((r) => r.status === 'fulfilled');
    assert.equal(made.length, 1, 'one first admin token');
    for (const r of results) {
      if (r.status === 'rejected') assert.ok(TendError.is(r.reason, 'conflict'), String(r.reason));
    }
    assert.equal((await stores[0]?.list())?.length, 1);
  });

  test('a damaged token key fails closed', async () => {
    const { prefix, clock, a } = await pair();
    const { token } = await a.create('ops', 'operator');
    const raw = connectEtcd({ endpoints: endpoints() });
    try {
      await raw.put(`${prefix}tokens/ops`).value('{ not json');
    } finally {
      raw.close();
    }
    clock.a = 5000;
    await assert.rejects(a.verify(token), (e) => TendError.is(e, 'internal'));
    assert.equal(await a.verify(token).catch(() => undefined), undefined);
  });

  // Last: it stops etcd.
  test('etcd down: the last set verifies, changes fail unavailable, an unknown secret is refused', async () => {
    const { clock, a } = await pair();
    const { token } = await a.create('ops', 'operator');
    const ephemeral = a.mintEphemeral('manager:a', 'admin');
    assert.ok(etcd);
    await etcd.kill(0);
    clock.a = 5000;
    assert.deepEqual(await a.verify(token), { name: 'ops', role: 'operator' });
    assert.equal(await a.verify('tend_nobody'), undefined);
    assert.deepEqual(await a.verify(ephemeral), { name: 'manager:a', role: 'admin' });
    await assert.rejects(a.create('new', 'viewer'), (e) => TendError.is(e, 'unavailable'));
    await assert.rejects(a.revoke('ops'), (e) => TendError.is(e, 'unavailable'));
    await assert.rejects(a.list(), (e) => TendError.is(e, 'unavailable'));
  });
});
