// Issue #16 item 3, the migration: a group InfraKit v0.5 made on a real platform (the `process`
// plugin, served by `tend plugin serve` as InfraKit's group controller would use it, and called
// with the exact `Instance.Provision` InfraKit's group plugin sends) is adopted by `tend apply` of
// the same group: zero creates, zero destroys, Tend's tags added. A changed config then rolls
// the adopted instances as usual.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { JsonRpcClient } from '../../src/rpc/index.js';
import type { GroupSummary } from '../../src/spi/index.js';
import { e2eWorkspace, eventually, liveInstances, ManagerProcess } from '../support/manager.js';

const root = new URL('../..', import.meta.url).pathname;

// The group as InfraKit had it committed (`infrakit group commit`), and the `infrakit.config_sha`
// InfraKit v0.5 computes for it (worked out with Go's encoding/json by InfraKit's steps).
const instanceProperties = { env: { GREETING: 'hello from infrakit' } };
const init = ['echo "cattle $$"', 'exec sleep 600'];
const INFRAKIT_SHA = 'phgsj5xiqbrkf4zz4hupxj7q2xi5akk4';
const infraKitGroup = (size: number, lines = init) => ({
  ID: 'cattle',
  Properties: {
    Allocation: { Size: size },
    Instance: { Plugin: 'process', Properties: instanceProperties },
    Flavor: { Plugin: 'vanilla', Properties: { init: lines } },
  },
});

let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
let serve: ChildProcess | undefined;

before(async () => {
  workspace = await e2eWorkspace('infrakit-migration');
});

after(async () => {
  if (serve !== undefined && serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
  await workspace.cleanup();
});

/** What InfraKit's group plugin did: three provisions with its tags, through the plugin's socket. */
async function madeByInfraKit(count: number): Promise<string[]> {
  const pluginDir = join(workspace.dir, 'infrakit-plugins');
  serve = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'src/cli/main.ts'),
      'plugin',
      'serve',
      'process',
      '--state-dir',
      workspace.stateDir,
    ],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        TEND_HOME: workspace.dir,
        TEND_PLUGIN_DIR: pluginDir,
        TEND_MANAGER: '',
        TEND_TOKEN: '',
      },
    },
  );
  const child = serve;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await eventually('the served plugin', () =>
    existsSync(join(pluginDir, 'process.pid')) ? true : undefined,
  );
  // pkg/rpc/client's Instance.Provision as Go marshals it: no LogicalID, no Attachments.
  const client = new JsonRpcClient({ socketPath: join(pluginDir, 'process'), pluginName: 'process' });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = (await client.call('Instance.Provision', {
      Type: '',
      Spec: {
        Properties: instanceProperties,
        Tags: { 'infrakit.group': 'cattle', 'infrakit.config_sha': INFRAKIT_SHA },
        Init: init.join('\n'),
        LogicalID: null,
        Attachments: null,
      },
    })) as { ID: string };
    ids.push(answer.ID);
  }
  await client.close();
  child.kill('SIGTERM');
  await exited;
  return ids;
}

function cattle(stateDir: string) {
  return liveInstances(stateDir).filter(
    (i) => i.tags['infrakit.group'] === 'cattle' || i.tags['tend.group'] === 'cattle',
  );
}

test('tend apply of the group InfraKit ran adopts its instances: no create, no destroy', {
  timeout: 300_000,
}, async (t) => {
  const made = await madeByInfraKit(3);
  assert.equal(new Set(made).size, 3);
  // The state dir the served plugin used: the manager's process plugin sees the same instances.
  const manager = await ManagerProcess.start({
    name: 'migrate',
    dir: workspace.dir,
    stateDir: workspace.stateDir,
    tickIntervalMs: 200,
  });
  workspace.managers.push(manager);
  await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
  const { stateDir } = workspace;
  assert.deepEqual(
    cattle(stateDir)
      .map((i) => i.id)
      .sort(),
    [...made].sort(),
  );

  const applied = await manager.client.apply(JSON.stringify(infraKitGroup(3)), {
    reason: 'migrate from InfraKit',
  });
  const config = applied.groups[0]?.config;
  assert.ok(config);
  const status = async (): Promise<GroupSummary | undefined> =>
    (await manager.client.status()).groups.find((g) => g.id === 'cattle');
  await eventually('the InfraKit instances adopted and labelled', async () => {
    const s = await status();
    const labelled = cattle(stateDir).filter(
      (i) => i.tags['tend.group'] === 'cattle' && i.tags['tend.config'] === config,
    );
    return s?.phase === 'converged' && s.healthy === 3 && labelled.length === 3 ? s : undefined;
  });
  // A few more ticks: still the same three, and nothing was ever created or destroyed.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  assert.deepEqual(
    cattle(stateDir)
      .map((i) => i.id)
      .sort(),
    [...made].sort(),
    'the same instances',
  );
  const events = (await manager.client.events(0, 1000, { group: 'cattle' })).events.map((e) => e.type);
  assert.ok(!events.includes('created'), `no create: ${events.join(', ')}`);
  assert.ok(!events.includes('destroyed'), `no destroy: ${events.join(', ')}`);

  await t.test('a changed config rolls the adopted instances as usual', async () => {
    const changed = infraKitGroup(3, ['echo "cattle v2 $$"', 'exec sleep 600']);
    const v2 = (await manager.client.apply(JSON.stringify(changed), { reason: 'v2' })).groups[0]?.config;
    assert.ok(v2 && v2 !== config);
    await eventually('every adopted instance rolled', async () => {
      const s = await status();
      const live = cattle(stateDir);
      const rolled = live.every((i) => !made.includes(i.id) && i.tags['tend.config'] === v2);
      return s?.phase === 'converged' && s.healthy === 3 && live.length === 3 && rolled ? s : undefined;
    });
  });
});
