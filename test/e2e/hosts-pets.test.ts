// Pets on named machines: a logical-ID group pinned to hosts h1, h2, h3. When h2's service dies
// (its health check fails), the member is replaced on h2 itself: reset, then a fresh Init.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { GroupStatus } from '../../src/spi/index.js';
import { claimDirOf, claimOn, onHost, writePoolFile } from '../support/hosts-pool.js';
import { e2eWorkspace, eventually, ManagerProcess, runCli } from '../support/manager.js';
import { type NetnsHosts, netnsSkipReason, startNetnsHosts } from '../support/netns-hosts.js';

const skip = netnsSkipReason();

const petsSpec = `groups:
  - id: pets
    allocation: { logicalIds: [h1, h2, h3] }
    instance:
      plugin: hosts
      properties: { healthCheck: 'kill -0 "$(cat "$NETNS_HOST_ROOT/service.pid")"' }
    flavor:
      plugin: vanilla
      properties:
        init:
          - 'sleep 100000 &'
          - 'echo $! > "$NETNS_HOST_ROOT/service.pid"'
          - 'echo "init-ran $TEND_INSTANCE_ID" >> "$NETNS_HOST_ROOT/inits"'
    health: { grace: 0s, unhealthyAfter: 3s }
`;

describe('hosts: a logical-ID group pinned to named hosts', { skip }, () => {
  let lab: NetnsHosts;
  let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
  let manager: ManagerProcess;

  before(async () => {
    lab = await startNetnsHosts({ count: 3 });
    workspace = await e2eWorkspace('hosts-pets');
    const file = join(workspace.dir, 'plugins.yaml');
    await writePoolFile(lab, file, 'hosts', { resetScript: 'echo reset-ran' });
    manager = await ManagerProcess.start({
      name: 'pets',
      dir: workspace.dir,
      stateDir: workspace.stateDir,
      tickIntervalMs: 500,
      extraArgs: ['--plugin-config', file],
    });
    workspace.managers.push(manager);
    await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
  });
  after(async () => {
    await workspace?.cleanup();
    await lab?.close();
  });

  const converged = (what: string, extra: (s: GroupStatus) => boolean = () => true) =>
    eventually(
      what,
      async () => {
        const s = await manager.client.groupStatus('pets');
        return s !== null && s.phase === 'converged' && s.healthy === 3 && extra(s) ? s : undefined;
      },
      { attempts: 1800 },
    );

  test("killing h2's service replaces the member on h2 itself (reset + re-Init)", async () => {
    const specFile = join(workspace.dir, 'pets.yaml');
    await writeFile(specFile, petsSpec);
    const env = { TEND_MANAGER: manager.url, TEND_TOKEN: manager.token };
    const applied = await runCli(['apply', '-f', specFile, '--timeout', '5m'], env);
    assert.equal(applied.code, 0, applied.stderr);
    const s = await converged('three pets');
    for (const i of s.instances)
      assert.ok(i.id.startsWith(`${i.logicalId}-`), `${i.id} on host ${i.logicalId}`);
    const h2 = lab.hosts[1];
    assert.ok(h2 !== undefined);
    const old = s.instances.find((i) => i.logicalId === 'h2');
    assert.ok(old !== undefined);
    await onHost(lab, h2, 'kill "$(cat "$NETNS_HOST_ROOT/service.pid")"');
    const healed = await converged('h2 replaced', (x) => !x.instances.some((i) => i.id === old.id));
    const fresh = healed.instances.find((i) => i.logicalId === 'h2');
    assert.ok(fresh?.id.startsWith('h2-'), `the new h2 member ${fresh?.id} is on h2`);
    assert.equal((await claimOn(lab, h2))?.id, fresh?.id);
    const inits = (await onHost(lab, h2, 'cat "$NETNS_HOST_ROOT/inits"')).trim().split('\n');
    assert.deepEqual(inits, [`init-ran ${old.id}`, `init-ran ${fresh?.id}`], 'Init ran again on h2');
    assert.match(await onHost(lab, h2, `cat ${claimDirOf(h2)}/history/${old.id}/log`), /reset-ran/);
    for (const other of ['h1', 'h3']) {
      assert.equal(
        healed.instances.find((i) => i.logicalId === other)?.id,
        s.instances.find((i) => i.logicalId === other)?.id,
        `${other} untouched`,
      );
    }
  });
});
