// The instance contract suite for `hosts`, against five real sshd hosts in network namespaces.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, test } from 'node:test';
import { createHostsPlugin } from '../../src/plugins/instance/hosts/index.js';
import { destroyAllAndClose, runInstancePluginContract } from '../support/contract/plugin-contract.js';
import { poolConfig, writePoolFile } from '../support/hosts-pool.js';
import { runCli } from '../support/manager.js';
import { type NetnsHosts, netnsSkipReason, startNetnsHosts } from '../support/netns-hosts.js';

const skip = netnsSkipReason();

if (skip !== undefined) {
  test('instance plugin contract: hosts', { skip }, () => undefined);
} else {
  let lab: Promise<NetnsHosts> | undefined;
  let stateRoot: string | undefined;
  after(async () => {
    await (await lab)?.close();
    if (stateRoot !== undefined) await rm(stateRoot, { recursive: true, force: true });
  });
  runInstancePluginContract(
    'hosts',
    async () => {
      lab ??= startNetnsHosts({ count: 5 });
      stateRoot ??= await mkdtemp(join(tmpdir(), 'tend-hosts-contract-'));
      const plugin = await createHostsPlugin({
        config: poolConfig(await lab, { resetScript: 'echo reset' }),
        stateDir: join(stateRoot, 'state'),
      });
      return { plugin, cleanup: () => destroyAllAndClose(plugin) };
    },
    {
      // A host's Init runs to its end (daemons background themselves); provision waits for it.
      init: 'echo contract-init',
      properties: { labels: {} },
      invalidProperties: { labels: { rack: 1 }, bogus: true },
    },
  );

  describe('tend plugin verify hosts', () => {
    it('runs the contract against the pool a --plugin-config file names, every check passing', async () => {
      lab ??= startNetnsHosts({ count: 5 });
      stateRoot ??= await mkdtemp(join(tmpdir(), 'tend-hosts-contract-'));
      const file = join(stateRoot, 'plugins.yaml');
      await writePoolFile(await lab, file);
      const { code, stdout, stderr } = await runCli(
        [
          'plugin',
          'verify',
          'hosts',
          '--plugin-config',
          file,
          '--invalid-properties',
          '{"labels":{"rack":1}}',
          '-o',
          'json',
        ],
        {
          TEND_HOME: join(stateRoot, 'home'),
        },
      );
      assert.equal(code, 0, `verify failed: ${stdout} ${stderr}`);
      const report = JSON.parse(stdout) as {
        ok: boolean;
        kind: string;
        checks: { name: string; ok: boolean; skipped?: boolean }[];
      };
      assert.equal(report.ok, true);
      assert.equal(report.kind, 'hosts');
      assert.ok(report.checks.length >= 10, `${report.checks.length} checks`);
      assert.ok(
        report.checks.every((c) => c.ok && c.skipped !== true),
        JSON.stringify(report.checks),
      );
    });

    it('a file without that plugin says which it has', async () => {
      stateRoot ??= await mkdtemp(join(tmpdir(), 'tend-hosts-contract-'));
      const file = join(stateRoot, 'other.yaml');
      lab ??= startNetnsHosts({ count: 5 });
      await writePoolFile(await lab, file, 'rack1');
      const { code, stderr } = await runCli(['plugin', 'verify', 'hosts', '--plugin-config', file]);
      assert.notEqual(code, 0);
      assert.match(stderr, /configures no plugin named hosts \(it has: rack1\)/);
    });
  });
}
