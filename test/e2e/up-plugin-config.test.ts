// Issue #13 item 5: `tend up --plugin-config FILE` serves configured copies of built-in kinds under
// names of the operator's choosing, each with its own config; a bad file stops `tend up` before
// it opens anything. Real `tend up` processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { TendError } from '../../src/spi/index.js';
import { e2eWorkspace, eventually, ManagerProcess } from '../support/manager.js';

const cliEntry = new URL('../../src/cli/main.ts', import.meta.url).pathname;

const pluginConfig = `plugins:
  sim-east:
    kind: simulator
    limits: { ratePerSec: 50, burst: 50, concurrency: 4 }
    config: { seed: 11 }
  sim-blind:
    kind: simulator
    config: { faults: { describeFailureRate: 1 } }
`;

const group = (id: string, plugin: string) => `
  - id: ${id}
    allocation: { size: 3 }
    instance: { plugin: ${plugin} }
    flavor: { plugin: vanilla }
`;

test('tend up --plugin-config serves a simulator section under its own name, with its config', async () => {
  const workspace = await e2eWorkspace('up-plugin-config');
  try {
    const file = join(workspace.dir, 'plugins.yaml');
    await writeFile(file, pluginConfig);
    const manager = await ManagerProcess.start({
      name: 'configured',
      dir: workspace.dir,
      stateDir: workspace.stateDir,
      tickIntervalMs: 200,
      extraArgs: ['--plugin-config', file],
    });
    workspace.managers.push(manager);
    await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));

    // A name no section or built-in answers to is refused, so the names below come from the file.
    await assert.rejects(
      manager.client.apply(`groups:${group('nowhere', 'sim-west')}`),
      (error: unknown) =>
        TendError.is(error, 'invalid_spec') && /no socket named sim-west/.test(error.message),
    );
    await manager.client.apply(`groups:${group('east', 'sim-east')}${group('blind', 'sim-blind')}`);
    await eventually('east converged on sim-east', async () => {
      const status = (await manager.client.status()).groups.find((g) => g.id === 'east');
      return status?.phase === 'converged' && status.healthy === 3 ? status : undefined;
    });
    assert.equal((await manager.client.allInstances('east')).length, 3);
    // The other section's config (every describe fails) reached its plugin, and only it.
    const blind = await eventually('blind to report its failing describes', async () => {
      const status = (await manager.client.status()).groups.find((g) => g.id === 'blind');
      return status?.lastError?.includes('sim-blind describe failed') === true ? status : undefined;
    });
    assert.equal(blind.observed, 0);
    assert.notEqual(blind.phase, 'converged');
  } finally {
    await workspace.cleanup();
  }
});

test('tend up with a bad --plugin-config exits 1 naming the place, before opening anything', async () => {
  const workspace = await e2eWorkspace('up-plugin-config-bad');
  try {
    const file = join(workspace.dir, 'plugins.yaml');
    await writeFile(
      file,
      'plugins:\n  ec2-east:\n    kind: ec3\n  sim:\n    kind: simulator\n    config: { seed: one }\n',
    );
    const storeDir = join(workspace.dir, 'store');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        cliEntry,
        'up',
        '--listen',
        '127.0.0.1:0',
        '--no-spec',
        '--plugin-config',
        file,
      ].concat([
        '--plugin-dir',
        join(workspace.dir, 'plugins'),
        '--state-dir',
        workspace.stateDir,
        '--store-dir',
        storeDir,
      ]),
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TEND_HOME: workspace.dir, TEND_LOG_LEVEL: 'silent' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1, stderr);
    assert.ok(stderr.includes(`tend: invalid plugin config in ${file}:\n`), stderr);
    assert.match(
      stderr,
      /plugins\.ec2-east\.kind: unknown kind "ec3" \(known kinds: process, simulator, docker/,
    );
    assert.match(stderr, /plugins\.sim\.config\.seed: expected number, received string/);
    assert.equal(existsSync(storeDir), false, 'the store was opened');
    assert.equal(existsSync(join(workspace.dir, 'admin.token')), false, 'a token was made');
    assert.equal(existsSync(join(workspace.dir, 'plugins')), false, 'the plugin directory was made');
  } finally {
    await workspace.cleanup();
  }
});
