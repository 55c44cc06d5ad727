// The Python example plugin (examples/plugins/python) as a real separate process: the instance
// contract through RemoteInstancePlugin, `tend plugin verify` as a subprocess, the curl examples
// of docs/protocol.md exactly as printed, and bad input from the wire.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { verifyInstancePlugin } from '../../src/contract/index.js';
import { connectInstancePlugin, connectPlugin } from '../../src/rpc/index.js';
import { TendError } from '../../src/spi/index.js';

const root = new URL('../..', import.meta.url).pathname;
const script = join(root, 'examples/plugins/python/instance_plugin.py');
const run = promisify(execFile);

function missing(command: string, args: string[]): string | undefined {
  const probe = spawnSync(command, args, { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0 ? undefined : `${command} is not installed`;
}
const noPython = missing('python3', ['--version']);
const noCurl = missing('curl', ['--version']);
if (noPython !== undefined) console.log(`# skipping the Python plugin tests: ${noPython}`);

interface RunningPlugin {
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the plugin in a fresh plugin dir; resolves once it prints that it listens. */
async function startPythonPlugin(name: string): Promise<RunningPlugin> {
  const dir = mkdtempSync('/tmp/tend-');
  const child = spawn('python3', [script, '--dir', dir, '--name', name], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('listening on')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`python plugin exited (${code}) before listening: ${stderr}`)),
    );
  });
  return {
    dir,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        // A cleanup guard, not a timing assertion: a plugin ignoring SIGTERM must not leak.
        const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(guard);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('python instance plugin', { skip: noPython }, () => {
  let plugin: RunningPlugin;
  before(async () => {
    plugin = await startPythonPlugin('pymem');
  });
  after(async () => {
    await plugin.stop();
  });

  test('its socket is mode 0600 in a 0700 directory', () => {
    assert.equal(statSync(join(plugin.dir, 'pymem')).mode & 0o777, 0o600);
    assert.equal(statSync(plugin.dir).mode & 0o777, 0o700);
  });

  test('passes the instance contract through RemoteInstancePlugin', async () => {
    const remote = await connectInstancePlugin({ dir: plugin.dir, name: 'pymem' });
    try {
      const results = await verifyInstancePlugin(remote, { invalidProperties: 'not an object' });
      const failed = results.filter((r) => !r.ok);
      assert.deepEqual(failed, [], JSON.stringify(failed, null, 2));
      assert.equal(results.filter((r) => r.skipped === true).length, 0);
    } finally {
      await remote.close();
    }
  });

  test('`tend plugin verify` passes and exits 0', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'plugin',
        'verify',
        'pymem',
        '--invalid-properties',
        '"not an object"',
      ],
      { cwd: root, env: { ...process.env, TEND_PLUGIN_DIR: plugin.dir } },
    );
    assert.match(stdout, /CHECK\s+RESULT\s+MS\s+ERROR/);
    assert.match(stdout, /handshake: Instance\s+pass/);
    assert.match(stdout, /all \d+ checks passed/);
    assert.doesNotMatch(stdout, /FAIL/);
  });

  test('`tend plugin verify` of a missing plugin exits non-zero naming the dir', async () => {
    const outcome = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'plugin', 'verify', 'nobody'],
      {
        cwd: root,
        env: { ...process.env, TEND_PLUGIN_DIR: plugin.dir },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code ?? 0, stderr: error.stderr ?? '' }),
    );
    assert.notEqual(outcome.code, 0);
    assert.match(outcome.stderr, new RegExp(`plugin nobody: no socket named nobody in ${plugin.dir}`));
  });

  test('wrong param types and unknown methods come back as typed errors naming the plugin', async () => {
    const { client } = await connectPlugin({ dir: plugin.dir, name: 'pymem' });
    try {
      await assert.rejects(
        client.call('Instance.Label', { Instance: 5, Labels: {} }),
        (e: unknown) => TendError.is(e, 'invalid_spec') && /plugin pymem: .*params\.Instance/.test(e.message),
      );
      await assert.rejects(
        client.call('Instance.Reboot', {}),
        (e: unknown) => TendError.is(e, 'invalid_spec') && /-32601/.test(e.message),
      );
      await assert.rejects(
        client.call('Instance.Label', { Instance: 'py-404', Labels: {} }),
        (e: unknown) =>
          TendError.is(e, 'not_found') && e.message === 'plugin pymem: instance py-404 does not exist',
      );
    } finally {
      client.close();
    }
  });
});

/** The ```sh curl block and the ```json block after it, for each example in a document. */
function curlExamples(file: string, atLeast: number): Array<{ command: string; expected: string }> {
  const doc = readFileSync(join(root, file), 'utf8');
  const section = doc.split('<!-- curl-examples:start -->')[1]?.split('<!-- curl-examples:end -->')[0] ?? '';
  const examples = [...section.matchAll(/```sh\n(curl [^\n]+)\n```\n```json\n([^\n]+)\n```/g)].map((m) => ({
    command: m[1] ?? '',
    expected: m[2] ?? '',
  }));
  assert.ok(examples.length >= atLeast, `${file} lost its curl examples`);
  return examples;
}

// Each document's examples run against a fresh plugin: they number instances from py-1.
for (const [file, atLeast] of [
  ['docs/protocol.md', 3],
  ['README.md', 2],
] as const) {
  describe(`${file} curl examples`, { skip: noPython ?? noCurl }, () => {
    test('work exactly as printed against the Python plugin', async () => {
      const plugin = await startPythonPlugin('pymem');
      try {
        for (const { command, expected } of curlExamples(file, atLeast)) {
          const { stdout } = await run('sh', ['-c', command], {
            env: { ...process.env, TEND_PLUGIN_DIR: plugin.dir },
          });
          assert.deepEqual(JSON.parse(stdout), JSON.parse(expected), command);
          assert.equal(stdout, expected, `output differs from the doc for: ${command}`);
        }
      } finally {
        await plugin.stop();
      }
    });
  });
}
