// Two real managers (`tend up --store etcd`) on one etcd, each with its own TEND_HOME and data
// dir: a token made through one works on the other, and a token revoked through one is refused
// by both — the token set lives in etcd, not in a per-manager tokens.json.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type EtcdCluster, etcdSkip, startEtcdCluster } from '../support/etcd.js';
import { e2eWorkspace, eventually, ManagerProcess, type ManagerProcessOptions } from '../support/manager.js';

describe('API tokens shared by managers on etcd', { skip: etcdSkip(), timeout: 180_000 }, () => {
  let etcd: EtcdCluster | undefined;
  let workspace: Awaited<ReturnType<typeof e2eWorkspace>> | undefined;
  let a: ManagerProcess;
  let b: ManagerProcess;

  before(async () => {
    workspace = await e2eWorkspace('api-tokens-ha');
    etcd = await startEtcdCluster({ members: 1 });
    const prefix = `tend-tokens-${randomBytes(4).toString('hex')}/`;
    const options = async (name: string): Promise<ManagerProcessOptions> => {
      assert.ok(workspace && etcd);
      const dir = join(workspace.dir, name); // its own TEND_HOME, store dir and data dir
      await mkdir(dir, { recursive: true });
      return {
        name,
        dir,
        stateDir: workspace.stateDir,
        store: 'etcd',
        leadership: 'etcd',
        etcdEndpoints: etcd.endpoints,
        etcdPrefix: prefix,
        leaseTtlSeconds: 2,
      };
    };
    a = await ManagerProcess.start(await options('a'));
    workspace.managers.push(a);
    // B joins a set that has a token already: it makes none, so it is called with A's.
    b = await ManagerProcess.start({ ...(await options('b')), token: a.token });
    workspace.managers.push(b);
  });

  after(async () => {
    await workspace?.cleanup();
    await etcd?.stop();
  });

  async function status(manager: ManagerProcess, token: string): Promise<number> {
    const response = await fetch(`${manager.url}/v1/whoami`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(30_000),
    });
    await response.arrayBuffer();
    return response.status;
  }

  test('only the first manager made an admin token, and it works on both', async () => {
    assert.ok(workspace);
    assert.ok(existsSync(join(workspace.dir, 'a', 'admin.token')));
    assert.ok(!existsSync(join(workspace.dir, 'b', 'admin.token')), 'b made a second admin token');
    assert.equal(await status(a, a.token), 200);
    assert.equal(await status(b, a.token), 200);
    assert.deepEqual(
      (await b.client.tokens()).tokens.map((t) => t.name),
      ['admin'],
    );
  });

  test('made on A, used on B; revoked on B, refused by A and B', async () => {
    const { token } = await a.client.createToken('ann-viewer', 'viewer');
    // Polled, not assumed: B reads the set again when it sees a secret it does not know.
    await eventually('B to accept the new token', async () =>
      (await status(b, token)) === 200 ? true : undefined,
    );
    const whoami = await fetch(`${b.url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(await whoami.json(), { name: 'ann-viewer', role: 'viewer' });

    // A has the token in its cached set: its refusal below comes from re-reading etcd.
    assert.equal(await status(a, token), 200);
    await b.client.revokeToken('ann-viewer');
    const revokedAt = performance.now();
    const delays: Record<string, number> = {};
    await Promise.all(
      [a, b].map(async (manager) => {
        await eventually(
          `${manager.name} to refuse the revoked token`,
          async () => ((await status(manager, token)) === 401 ? true : undefined),
          { intervalMs: 20, attempts: 3000 },
        );
        delays[manager.name] = Math.round(performance.now() - revokedAt);
      }),
    );
    // A measurement for the log, not an assertion: wall-clock varies with the machine's load.
    console.log(`# revoked token refused after: A ${delays.a} ms, B ${delays.b} ms`);
    assert.equal(await status(a, token), 401);
    assert.equal(await status(b, token), 401);
    assert.deepEqual(
      (await a.client.tokens()).tokens.map((t) => t.name),
      ['admin'],
    );
  });
});
