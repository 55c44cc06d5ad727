// A plugin process killed in the middle of a call: the caller gets an `unavailable` TendError
// naming the plugin and the method (never a hang or a crash), later calls say nobody listens, and
// a restarted plugin takes over the stale socket.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connectInstancePlugin } from '../../src/rpc/index.js';
import { instanceId, TendError } from '../../src/spi/index.js';

const rpcIndex = new URL('../../src/rpc/index.ts', import.meta.url).pathname;

// The child serves an instance plugin whose provision never answers, and says when one arrived.
const childSource = `
const { servePlugin } = await import(${JSON.stringify(rpcIndex)});
const never = () => new Promise(() => {});
const plugin = {
  validate: async () => {},
  provision: () => { process.stdout.write('provisioning\\n'); return never(); },
  label: async () => {},
  destroy: async () => {},
  describeInstances: async () => [],
};
await servePlugin({ dir: process.argv[1], name: process.argv[2], instance: plugin });
process.stdout.write('listening\\n');
`;

let dir: string;
const children: ChildProcess[] = [];
before(() => {
  dir = mkdtempSync('/tmp/tend-');
});
after(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function startChild(name: string): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', childSource, dir, name],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const queue: string[] = [];
  const waiters: Array<(line: IteratorResult<string>) => void> = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let at = buffer.indexOf('\n'); at !== -1; at = buffer.indexOf('\n')) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      const waiter = waiters.shift();
      if (waiter === undefined) queue.push(line);
      else waiter({ value: line, done: false });
    }
  });
  child.once('exit', () => {
    for (const waiter of waiters.splice(0)) waiter({ value: undefined, done: true });
  });
  const lines: AsyncIterator<string> = {
    next: () => {
      const line = queue.shift();
      if (line !== undefined) return Promise.resolve({ value: line, done: false });
      if (child.exitCode !== null) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
  return { child, lines };
}

async function expectLine(lines: AsyncIterator<string>, wanted: string): Promise<void> {
  const { value, done } = await lines.next();
  assert.equal(done === true ? '(child exited)' : value, wanted);
}

test('a plugin killed mid-call: unavailable naming the plugin and method; restart reclaims the socket', async () => {
  const first = startChild('fragile');
  await expectLine(first.lines, 'listening');
  const plugin = await connectInstancePlugin({ dir, name: 'fragile' });
  try {
    const call = plugin.provision({ tags: {}, init: '', attachments: [] });
    const outcome = call.then(
      () => undefined,
      (e: unknown) => e,
    );
    await expectLine(first.lines, 'provisioning');
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await exited;
    const error = await outcome;
    assert.ok(TendError.is(error, 'unavailable'), String(error));
    assert.match(error.message, /^plugin fragile died during Instance\.Provision/);

    // SIGKILL leaves the socket file behind: nobody listens on it now.
    await assert.rejects(
      plugin.destroy(instanceId('x'), { reason: 'terminate' }),
      (e: unknown) =>
        TendError.is(e, 'unavailable') &&
        e.message === `plugin fragile: no one listening on ${join(dir, 'fragile')}`,
    );

    const second = startChild('fragile');
    await expectLine(second.lines, 'listening');
    await plugin.destroy(instanceId('x'), { reason: 'terminate' });
    const secondExited = new Promise((resolve) => second.child.once('exit', resolve));
    second.child.kill('SIGTERM');
    await secondExited;
  } finally {
    await plugin.close();
  }
});
