// The `hosts` plugin against real sshd hosts in network namespaces: claims on the hosts, Init
// output as the log, exhaustion, unreachable hosts, deferred release, two plugins racing.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHostsPlugin, type HostsPlugin } from '../../src/plugins/instance/hosts/index.js';
import { type InstanceSpec, logicalId, TAG_GROUP, TAG_OP, TendError } from '../../src/spi/index.js';
import { claimOn, onHost, poolConfig } from '../support/hosts-pool.js';
import { type NetnsHosts, netnsSkipReason, startNetnsHosts } from '../support/netns-hosts.js';

const skip = netnsSkipReason();

describe('hosts plugin on netns hosts', { skip }, () => {
  let lab: NetnsHosts;
  let stateRoot: string;
  let plugin: HostsPlugin;
  let n = 0;
  before(async () => {
    lab = await startNetnsHosts({ count: 4 });
    stateRoot = await mkdtemp(join(tmpdir(), 'tend-hosts-test-'));
    plugin = await createHostsPlugin({
      config: poolConfig(lab, { resetScript: 'echo reset-ran; rm -f "$NETNS_HOST_ROOT/app"' }),
      stateDir: join(stateRoot, 'a'),
    });
  });
  after(async () => {
    await plugin?.close();
    await lab?.close();
    await rm(stateRoot, { recursive: true, force: true });
  });

  const spec = (extra: Partial<InstanceSpec> = {}, group = 'g'): InstanceSpec => ({
    tags: { [TAG_GROUP]: group, [TAG_OP]: `op-${++n}` },
    init: 'echo "init-ran $TEND_INSTANCE_ID" > "$NETNS_HOST_ROOT/app"; echo hello-from-init',
    attachments: [],
    ...extra,
  });
  const destroyAll = async () => {
    for (const d of await plugin.describeInstances({})) await plugin.destroy(d.id, { reason: 'terminate' });
  };

  test('provision claims a host, runs the Init there, keeps its output as the log', async () => {
    const id = await plugin.provision(spec());
    const host = lab.hosts.find((h) => id.startsWith(`${h.name}-`));
    assert.ok(host !== undefined, `id ${id} names a pool host`);
    assert.equal((await onHost(lab, host, 'cat "$NETNS_HOST_ROOT/app"')).trim(), `init-ran ${id}`);
    assert.equal((await claimOn(lab, host))?.id, id);
    assert.match(await plugin.logs(id), /hello-from-init/);
    const [found] = await plugin.describeInstances({ [TAG_GROUP]: 'g' }, { properties: true });
    assert.equal(found?.id, id);
    assert.equal(found?.platformHealth, 'healthy');
    assert.ok(typeof found?.createdAt === 'number');
    await plugin.destroy(id, { reason: 'terminate' });
    assert.equal(await claimOn(lab, host), undefined);
    assert.match(await plugin.logs(id), /reset-ran/, 'the reset output is in the log after release');
    assert.equal(
      (await onHost(lab, host, 'test -e "$NETNS_HOST_ROOT/app" && echo there || echo gone')).trim(),
      'gone',
    );
  });

  test('labels select hosts; a pool without a free match is exhausted, with a clear message', async () => {
    const properties = { labels: { rack: 'r2' } };
    const ids = [await plugin.provision(spec({ properties })), await plugin.provision(spec({ properties }))];
    for (const id of ids)
      assert.ok(id.startsWith('h2-') || id.startsWith('h4-'), `${id} is on a rack r2 host`);
    await assert.rejects(plugin.provision(spec({ properties })), (e: unknown) => {
      assert.ok(TendError.is(e, 'exhausted'), String(e));
      assert.match(
        e.message,
        /no free host matches labels \{rack=r2\} \(pool of 4: 2 claimed, 0 not answering, 2 not matching\)/,
      );
      return true;
    });
    await destroyAll();
  });

  test('a logical ID naming a host pins to it; a retried op returns the same host', async () => {
    const s = spec({ logicalId: logicalId('h3') });
    const id = await plugin.provision(s);
    assert.ok(id.startsWith('h3-'));
    assert.equal(await plugin.provision(s), id);
    await assert.rejects(plugin.provision(spec({ logicalId: logicalId('h3') })), (e: unknown) =>
      TendError.is(e, 'exhausted'),
    );
    const member = await plugin.provision(spec({ logicalId: logicalId('member-1') }));
    const [kept] = (await plugin.describeInstances({})).filter((d) => d.id === member);
    assert.equal(kept?.logicalId, 'member-1', 'a logical ID naming no host is kept on any free host');
    await destroyAll();
  });

  test('two plugins (two managers) racing for a pool never claim one host twice', async () => {
    const other = await createHostsPlugin({ config: poolConfig(lab), stateDir: join(stateRoot, 'b') });
    try {
      const specs = Array.from({ length: 6 }, () => spec());
      const results = await Promise.allSettled(
        specs.map((s, i) => (i % 2 === 0 ? plugin : other).provision(s)),
      );
      const ids = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      assert.equal(ids.length, 4, `4 hosts, 4 claims: ${failed.map(String).join('; ')}`);
      assert.ok(failed.every((e) => TendError.is(e, 'exhausted')));
      const hosts = ids.map((id) => id.split('-')[0]);
      assert.equal(new Set(hosts).size, 4, `distinct hosts: ${hosts.join(', ')}`);
      for (const host of lab.hosts)
        assert.ok(
          (ids as string[]).includes((await claimOn(lab, host))?.id ?? ''),
          `${host.name} claimed by one of them`,
        );
    } finally {
      await other.close();
      await destroyAll();
    }
  });

  test('an unreachable host is reported unhealthy, not absent; a destroy meanwhile completes when it is back', async () => {
    const id = await plugin.provision(spec({ logicalId: logicalId('h1') }));
    const h1 = lab.hosts[0];
    assert.ok(h1 !== undefined);
    await h1.cutOff();
    try {
      const [seen] = await plugin.describeInstances({ [TAG_GROUP]: 'g' });
      assert.equal(seen?.id, id);
      assert.equal(seen?.platformHealth, 'unhealthy');
      assert.match(seen?.platformStatus ?? '', /^unreachable: /);
      await plugin.destroy(id, { reason: 'heal' });
      assert.deepEqual(
        await plugin.describeInstances({ [TAG_GROUP]: 'g' }),
        [],
        'a destroyed instance is not reported while its host is away',
      );
    } finally {
      await h1.bringBack();
    }
    assert.equal((await claimOn(lab, h1))?.id, id, 'the stale claim is still on the host');
    assert.deepEqual(await plugin.describeInstances({ [TAG_GROUP]: 'g' }), []);
    for (let i = 0; i < 100 && (await claimOn(lab, h1)) !== undefined; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(await claimOn(lab, h1), undefined, 'the deferred release ran once the host answered');
    assert.match(await plugin.logs(id), /reset-ran/);
  });

  test('too many hosts not answering fails the describe', async () => {
    const [h1, h2, h3] = lab.hosts;
    assert.ok(h1 && h2 && h3);
    await Promise.all([h1.cutOff(), h2.cutOff(), h3.cutOff()]);
    try {
      await assert.rejects(
        plugin.describeInstances({}),
        (e: unknown) => TendError.is(e, 'unavailable') && /3 of 4 hosts did not answer/.test(e.message),
      );
    } finally {
      await Promise.all([h1.bringBack(), h2.bringBack(), h3.bringBack()]);
    }
  });
});
