// Issue #10 items 11 and 13: what a real `tend up` prints about its first admin token, and that it
// exits at once, releasing its API port, when another process holds its `group` socket.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { e2eWorkspace, eventually, ManagerProcess } from '../support/manager.js';

const cliEntry = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function listen(server: Server, target: string | number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(target, () => resolve());
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

async function freePort(): Promise<number> {
  const probe = createServer();
  await listen(probe, 0);
  const address = probe.address();
  await close(probe);
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

test('tend up names the admin token file on a non-TTY stdout, never the secret', async () => {
  const workspace = await e2eWorkspace('up-token');
  try {
    const manager = await ManagerProcess.start({
      name: 'quiet',
      dir: workspace.dir,
      stateDir: workspace.stateDir,
    });
    workspace.managers.push(manager);
    const file = join(workspace.dir, 'admin.token');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const stdout = manager.lines.join('\n');
    assert.equal(stdout.includes(manager.token), false, 'the secret reached stdout');
    assert.match(stdout, new RegExp(`first admin token in ${file.replaceAll('/', '\\/')} \\(mode 0600`));
  } finally {
    await workspace.cleanup();
  }
});

test('tend up --show-token prints the first admin token once', async () => {
  const workspace = await e2eWorkspace('up-show-token');
  try {
    const manager = await ManagerProcess.start({
      name: 'shown',
      dir: workspace.dir,
      stateDir: workspace.stateDir,
      extraArgs: ['--show-token'],
    });
    workspace.managers.push(manager);
    assert.equal(manager.lines.filter((line) => line.includes(manager.token)).length, 1);
  } finally {
    await workspace.cleanup();
  }
});

test('tend up exits non-zero at once when another process holds the group socket', async () => {
  const workspace = await e2eWorkspace('up-socket-held');
  const pluginDir = join(workspace.dir, 'plugins');
  await mkdir(pluginDir, { recursive: true });
  const holder = createServer((socket) => socket.destroy());
  await listen(holder, join(pluginDir, 'group'));
  try {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cliEntry, 'up', '--listen', `127.0.0.1:${port}`, '--no-spec'].concat([
        '--plugin-dir',
        pluginDir,
        '--state-dir',
        workspace.stateDir,
        '--store-dir',
        join(workspace.dir, 'store'),
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
    // Awaiting the exit is the point: a manager that kept its API server open would never exit.
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1, stderr);
    assert.match(stderr, /group is in use: another process is listening on it/);
    assert.equal(
      existsSync(join(workspace.dir, 'admin.token')),
      false,
      'a token was made by a manager that did not start',
    );
    // The port it bound is free again.
    const reuse = createServer();
    await listen(reuse, port);
    await close(reuse);
  } finally {
    await close(holder);
    await workspace.cleanup();
  }
});

test('a restarted tend up shows only its own events and no blind line before the first tick', async () => {
  const workspace = await e2eWorkspace('up-replay');
  try {
    const start = () =>
      ManagerProcess.start({ name: 'replay', dir: workspace.dir, stateDir: workspace.stateDir });
    const first = await start();
    workspace.managers.push(first);
    await eventually('the manager to lead', async () => ((await first.isLeader()) ? true : undefined));
    await first.client.apply(`groups:
  - id: replayed
    allocation: { size: 2 }
    instance: { plugin: simulator }
    flavor: { plugin: vanilla }
`);
    await eventually('the first run to print its created events', () =>
      first.lines.some((l) => /replayed\s+created/.test(l) || /replayed .*created/.test(l))
        ? true
        : undefined,
    );
    await first.stop();
    workspace.managers.length = 0;

    const second = await start();
    workspace.managers.push(second);
    await eventually('the group to be shown converged', () =>
      second.lines.some((l) => /replayed .*converged/.test(l)) ? true : undefined,
    );
    const shown = second.lines.join('\n');
    assert.doesNotMatch(shown, /blind/, 'a blind line flashed before the first tick');
    const firstRunEvents = first.lines.filter(
      (l) => / replayed {2}\S/.test(l) && /created|provision/.test(l),
    );
    for (const line of firstRunEvents) assert.equal(second.lines.includes(line), false, `replayed: ${line}`);
  } finally {
    await workspace.cleanup();
  }
});
