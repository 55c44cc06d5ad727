// prepare against a fake etcd: a membership change etcd refuses "for now" is retried within the
// flavor (the controller would count each refusal as a failed replacement), anything else is not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onVirtualTime } from '../../../../test/support/virtual-time.js';
import { VirtualClock } from '../../../lib/index.js';
import { instanceId, type JsonValue, logicalId, TendError } from '../../../spi/index.js';
import type { EtcdGateway, EtcdMember } from './etcd-gateway.js';
import { createEtcdFlavor } from './index.js';

const properties: JsonValue = {
  members: {
    a: { peerPort: 1002, clientPort: 1001 },
    b: { peerPort: 1004, clientPort: 1003 },
    c: { peerPort: 1006, clientPort: 1005 },
  },
  dataDir: '/tmp/tend-etcd-unit',
  clusterToken: 'unit',
};
const url = (port: number) => `http://127.0.0.1:${port}`;
const member = (id: string, name: string, peer: number, client: number): EtcdMember => ({
  id,
  name,
  peerUrls: [url(peer)],
  clientUrls: name === '' ? [] : [url(client)],
});

/**
 * A running b, c and a dead a; `memberAdd` refuses with `refusal` for its first `refusals` calls;
 * b and c have no leader before `electedAt` on `clock`.
 */
function fakeCluster(refusals: number, refusal: TendError, clock?: VirtualClock, electedAt = 0) {
  let members = [member('1', 'a', 1002, 1001), member('2', 'b', 1004, 1003), member('3', 'c', 1006, 1005)];
  const calls = { add: 0, remove: 0 };
  const gateway: EtcdGateway = {
    health: async (clientUrl) => clientUrl !== url(1001) && (clock?.now() ?? 0) >= electedAt,
    memberList: async (clientUrl) => {
      if (clientUrl === url(1001)) throw new TendError('unavailable', 'connection refused');
      return members;
    },
    memberRemove: async (_clientUrl, id) => {
      calls.remove++;
      members = members.filter((m) => m.id !== id);
    },
    memberAdd: async (_clientUrl, peerUrl) => {
      calls.add++;
      if (calls.add <= refusals) throw refusal;
      members = [...members, { id: '9', name: '', peerUrls: [peerUrl], clientUrls: [] }];
      return members;
    },
  };
  return { gateway, calls };
}

const spec = { tags: {}, init: '', logicalId: logicalId('a'), attachments: [] };
const allocation = { logicalIds: ['a', 'b', 'c'].map(logicalId) };
const index = { group: 'etcd', sequence: 0 };
const unhealthy = new TendError('unavailable', 'etcdserver: unhealthy cluster');

describe('etcd flavor prepare while etcd refuses a change for now', () => {
  it('retries the add until etcd accepts it, removing the old member once', async () => {
    const clock = new VirtualClock();
    const { gateway, calls } = fakeCluster(3, unhealthy);
    const flavor = createEtcdFlavor({ gateway, clock, reconfigureWaitMs: 10_000 });
    const prepared = await onVirtualTime(clock, flavor.prepare(properties, spec, allocation, index));
    assert.match(prepared.init, /--initial-cluster-state=existing/);
    const cluster = /--initial-cluster=(\S+)/.exec(prepared.init)?.[1]?.split(',').sort();
    assert.deepEqual(cluster, [
      'a=http://127.0.0.1:1002',
      'b=http://127.0.0.1:1004',
      'c=http://127.0.0.1:1006',
    ]);
    assert.deepEqual(calls, { add: 4, remove: 1 });
  });

  it('gives up with the refusal once the wait is over', async () => {
    const clock = new VirtualClock();
    const { gateway, calls } = fakeCluster(1000, unhealthy);
    const flavor = createEtcdFlavor({ gateway, clock, reconfigureWaitMs: 3_000 });
    await assert.rejects(
      onVirtualTime(clock, flavor.prepare(properties, spec, allocation, index)),
      (error: unknown) => TendError.is(error, 'unavailable') && /unhealthy cluster/.test(error.message),
    );
    assert.ok(calls.add > 1 && calls.add < 20, `${calls.add} adds`);
    assert.equal(clock.now() >= 3_000, true);
  });

  it('does not retry a refusal that waiting will not cure', async () => {
    const clock = new VirtualClock();
    const refusal = new TendError('conflict', 'etcdserver: re-configuration failed');
    const { gateway, calls } = fakeCluster(1000, refusal);
    const flavor = createEtcdFlavor({ gateway, clock, reconfigureWaitMs: 10_000 });
    await assert.rejects(
      onVirtualTime(clock, flavor.prepare(properties, spec, allocation, index)),
      (error: unknown) => TendError.is(error, 'conflict'),
    );
    assert.equal(calls.add, 1);
  });

  it('drain waits out an election before removing the dead member', async () => {
    const clock = new VirtualClock();
    const { gateway, calls } = fakeCluster(0, unhealthy, clock, 1500);
    const flavor = createEtcdFlavor({ gateway, clock, reconfigureWaitMs: 10_000 });
    const dead = { id: instanceId('etcd-a'), logicalId: logicalId('a'), tags: {} };
    await onVirtualTime(clock, flavor.drain(properties, dead));
    assert.equal(calls.remove, 1);
    assert.ok(clock.now() >= 1500, 'removed only once a leader was elected');
  });
});
