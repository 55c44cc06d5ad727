// A real 3-member etcd cluster built from the etcd flavor's prepared inits, healed twice after a
// kill -9 (once through drain + prepare, once through prepare alone), as the controller would.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEtcdFlavor } from '../../src/plugins/flavor/etcd/index.js';
import {
  type InstanceDescription,
  instanceId,
  type JsonValue,
  type LogicalId,
  logicalId,
  TendError,
} from '../../src/spi/index.js';
import { freePort, killAndWait, type RunningInit, run, startInit, waitFor } from '../support/ensemble.js';

const etcd = '/usr/bin/etcd';
const etcdctl = '/usr/bin/etcdctl';
const skip =
  (existsSync(etcd) && existsSync(etcdctl)) || process.env.CI === 'true'
    ? false
    : `needs ${etcd} and ${etcdctl} (apt-get install etcd-server etcd-client)`;

const ids: LogicalId[] = ['a', 'b', 'c'].map(logicalId);

describe('etcd flavor on a real 3-member cluster', { skip }, () => {
  let root = '';
  let properties: JsonValue = null;
  const clientUrls = new Map<string, string>();
  const members = new Map<string, RunningInit>();
  const flavor = createEtcdFlavor({ requestTimeoutMs: 3000 });
  let generation = 0;

  const instanceOf = (id: LogicalId): InstanceDescription => ({
    id: instanceId(`etcd-${id}`),
    logicalId: id,
    tags: {},
  });
  const endpoints = () => [...clientUrls.values()].join(',');
  const ctl = (...args: string[]) => run(etcdctl, ['--dial-timeout=3s', '--command-timeout=5s', ...args]);

  const start = async (id: LogicalId): Promise<string> => {
    const spec = { tags: {}, init: '', logicalId: id, attachments: [] };
    // Like the controller, retry a prepare etcd refused for now: right after a leader change its
    // strict reconfiguration check answers "unhealthy cluster" for a few seconds.
    let init = '';
    await waitFor(`a prepare of member ${id} that etcd accepts`, async () => {
      try {
        init = (await flavor.prepare(properties, spec, { logicalIds: ids }, { group: 'etcd', sequence: 0 }))
          .init;
        return true;
      } catch (error) {
        if (TendError.is(error, 'unavailable') || TendError.is(error, 'conflict')) return false;
        throw error;
      }
    });
    members.set(id, startInit(init, join(root, `${id}.${generation++}.log`)));
    return init;
  };
  const allHealthy = async (): Promise<boolean> => {
    await ctl(`--endpoints=${endpoints()}`, 'endpoint', 'health');
    const health = await Promise.all(ids.map((id) => flavor.healthy(properties, instanceOf(id))));
    return health.every((h) => h === 'healthy');
  };
  const startedMembers = async (): Promise<string[]> => {
    const out = await ctl(`--endpoints=${endpoints()}`, 'member', 'list', '--write-out=json');
    const list = JSON.parse(out) as { members?: Array<{ name?: string }> };
    return (list.members ?? [])
      .map((m) => m.name ?? '')
      .filter((n) => n !== '')
      .sort();
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tend-ensemble-etcd-'));
    const table: Record<string, JsonValue> = {};
    for (const id of ids) {
      const [peerPort, clientPort] = [await freePort(), await freePort()];
      table[id] = { peerPort, clientPort };
      clientUrls.set(id, `http://127.0.0.1:${clientPort}`);
    }
    properties = {
      members: table,
      dataDir: join(root, 'data'),
      clusterToken: `tend-e2e-${process.pid}`,
      extraFlags: ['--heartbeat-interval=100', '--election-timeout=1000'],
    };
  });

  after(async () => {
    await Promise.all([...members.values()].map((m) => killAndWait(m)));
    if (root !== '') await rm(root, { recursive: true, force: true });
  });

  it('forms a new cluster from three prepared inits', async () => {
    await flavor.validate(properties, { logicalIds: ids });
    // Prepared before any starts, as a controller provisioning a fresh group would: all `new`.
    const inits: string[] = [];
    for (const id of ids) {
      const spec = { tags: {}, init: '', logicalId: id, attachments: [] };
      inits.push(
        (await flavor.prepare(properties, spec, { logicalIds: ids }, { group: 'etcd', sequence: 0 })).init,
      );
    }
    for (const init of inits) assert.match(init, /--initial-cluster-state=new/);
    ids.forEach((id, i) => {
      members.set(id, startInit(inits[i] ?? '', join(root, `${id}.${generation++}.log`)));
    });
    await waitFor('3 healthy etcd members', allHealthy);
    await ctl(`--endpoints=${endpoints()}`, 'put', '/tend/e2e', 'kept');
  });

  it('refuses an allocation that would drop below quorum in one step', async () => {
    await assert.rejects(
      flavor.validate(properties, { logicalIds: [logicalId('a')] }),
      (error: unknown) =>
        TendError.is(error, 'invalid_spec') && /keeps 1 of the 3 running members/.test(error.message),
    );
    await flavor.validate(properties, { logicalIds: [logicalId('a'), logicalId('b')] });
  });

  for (const [victim, viaDrain] of [
    ['b', true],
    ['a', false],
  ] as const) {
    it(`replaces member ${victim} after kill -9 (${viaDrain ? 'drain, then prepare' : 'prepare only'})`, async () => {
      const id = logicalId(victim);
      const running = members.get(id);
      assert.ok(running, `member ${victim} is not running`);
      await killAndWait(running);
      await waitFor(
        `member ${victim} unhealthy`,
        async () => (await flavor.healthy(properties, instanceOf(id))) === 'unhealthy',
      );
      if (viaDrain) await flavor.drain(properties, instanceOf(id));
      const init = await start(id);
      assert.match(init, /--initial-cluster-state=existing/);
      await waitFor('3 healthy etcd members after the replacement', async () => {
        return (await allHealthy()) && (await startedMembers()).join() === 'a,b,c';
      });
      const value = await ctl(`--endpoints=${endpoints()}`, 'get', '/tend/e2e', '--print-value-only');
      assert.equal(value.trim(), 'kept');
    });
  }

  it('refuses to remove a member when that would lose quorum', async () => {
    const running = members.get(logicalId('c'));
    assert.ok(running);
    await killAndWait(running);
    await waitFor(
      'member c unhealthy',
      async () => (await flavor.healthy(properties, instanceOf(logicalId('c')))) === 'unhealthy',
    );
    // With c down, removing b would leave a 2-member cluster with one healthy member.
    await assert.rejects(flavor.drain(properties, instanceOf(logicalId('b'))), (error: unknown) =>
      TendError.is(error, 'conflict'),
    );
  });
});
