// A real 3-member ZooKeeper ensemble built from the zookeeper flavor's prepared inits, healed
// twice after a kill -9 by preparing the same logical ID again, as the controller would.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createZookeeperFlavor } from '../../src/plugins/flavor/zookeeper/index.js';
import {
  type InstanceDescription,
  instanceId,
  type JsonValue,
  type LogicalId,
  logicalId,
  TendError,
} from '../../src/spi/index.js';
import { freePort, killAndWait, type RunningInit, startInit, waitFor } from '../support/ensemble.js';
import { zkCli, zkGet, zookeeperSkip } from '../support/zookeeper.js';

const ids: LogicalId[] = ['a', 'b', 'c'].map(logicalId);

describe('zookeeper flavor on a real 3-member ensemble', { skip: zookeeperSkip() }, () => {
  let root = '';
  let properties: JsonValue = null;
  let servers = '';
  const members = new Map<string, RunningInit>();
  const flavor = createZookeeperFlavor({ requestTimeoutMs: 3000 });
  let generation = 0;

  const instanceOf = (id: LogicalId): InstanceDescription => ({
    id: instanceId(`zk-${id}`),
    logicalId: id,
    tags: {},
  });
  const start = async (id: LogicalId): Promise<string> => {
    const spec = { tags: {}, init: '', logicalId: id, attachments: [] };
    const prepared = await flavor.prepare(
      properties,
      spec,
      { logicalIds: ids },
      { group: 'zk', sequence: 0 },
    );
    members.set(id, startInit(prepared.init, join(root, `${id}.${generation++}.log`)));
    return prepared.init;
  };
  const allHealthy = async (): Promise<boolean> => {
    const health = await Promise.all(ids.map((id) => flavor.healthy(properties, instanceOf(id))));
    return health.every((h) => h === 'healthy');
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tend-ensemble-zk-'));
    const table: Record<string, JsonValue> = {};
    const clients: string[] = [];
    for (const id of ids) {
      const [clientPort, peerPort, electionPort] = [await freePort(), await freePort(), await freePort()];
      table[id] = { clientPort, peerPort, electionPort };
      clients.push(`127.0.0.1:${clientPort}`);
    }
    servers = clients.join(',');
    properties = { members: table, dataDir: join(root, 'data'), tickTime: 500, initLimit: 20, syncLimit: 10 };
  });

  after(async () => {
    await Promise.all([...members.values()].map((m) => killAndWait(m)));
    if (root !== '') await rm(root, { recursive: true, force: true });
  });

  it('forms an ensemble from three prepared inits and stores a znode', async () => {
    await flavor.validate(properties, { logicalIds: ids });
    for (const id of ids) {
      const init = await start(id);
      assert.match(init, /4lw\.commands\.whitelist=ruok,srvr,mntr,stat/);
    }
    await waitFor('3 ZooKeeper members serving as leader or follower', allHealthy);
    await zkCli(servers, 'create', '/tend-e2e', 'kept');
  });

  it('refuses an allocation that would drop below quorum in one step', async () => {
    await assert.rejects(
      flavor.validate(properties, { logicalIds: [logicalId('a')] }),
      (error: unknown) =>
        TendError.is(error, 'invalid_spec') && /keeps 1 of the 3 serving members/.test(error.message),
    );
  });

  for (const victim of ['b', 'a'] as const) {
    it(`replaces member ${victim} after kill -9 under the same server id`, async () => {
      const id = logicalId(victim);
      const running = members.get(id);
      assert.ok(running, `member ${victim} is not running`);
      await killAndWait(running);
      await waitFor(
        `member ${victim} unhealthy`,
        async () => (await flavor.healthy(properties, instanceOf(id))) === 'unhealthy',
      );
      await flavor.drain(properties, instanceOf(id));
      await start(id);
      await waitFor('3 serving ZooKeeper members after the replacement', allHealthy);
      assert.equal(await zkGet(servers, '/tend-e2e'), 'kept');
    });
  }
});
