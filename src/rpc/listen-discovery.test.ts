// Issue #16 item 8: InfraKit v0.5's plugins on TCP advertise themselves with a `<name>.listen`
// file (`tcp://host:port`) in the plugin directory; discovery finds, lists and calls them, and
// never takes the file for a stale socket.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type InfraKitStylePlugin,
  startInfraKitStylePlugin,
} from '../../test/support/infrakit-style-plugin.js';
import { TendError } from '../spi/index.js';
import { connectInstancePlugin } from './connect-plugin.js';
import { cleanStaleSockets, findPlugin, listPlugins, readListenFile } from './plugin-dir.js';

let dir: string;
let plugin: InfraKitStylePlugin;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tend-listen-'));
  plugin = await startInfraKitStylePlugin(dir, 'tcpfile', { tcp: true });
});

after(async () => {
  await plugin.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a plugin on TCP is found by its .listen file and called over TCP', async () => {
  const found = await findPlugin(dir, 'tcpfile');
  assert.equal(found.socketPath, join(dir, 'tcpfile.listen'));
  assert.equal(found.tcp?.host, '127.0.0.1');
  const remote = await connectInstancePlugin({ name: 'tcpfile', dir });
  try {
    const id = await remote.provision({ tags: { 'tend.group': 'g' }, init: '', attachments: [] });
    const described = await remote.describeInstances({ 'tend.group': 'g' });
    assert.deepEqual(
      described.map((d) => d.id),
      [id],
    );
  } finally {
    await remote.close?.();
  }
});

test('listed beside sockets, left alone by the stale-socket sweep', async () => {
  const entries = await listPlugins(dir);
  assert.deepEqual(
    entries.map((e) => [e.name, e.socketPath, e.tcp?.host]),
    [['tcpfile', join(dir, 'tcpfile.listen'), '127.0.0.1']],
  );
  assert.deepEqual(await cleanStaleSockets(dir), []);
  assert.equal((await listPlugins(dir)).length, 1, 'the .listen file is still there');
});

test('a .listen file that names no TCP address is refused naming the file; a dead one is unavailable', async () => {
  const bad = join(dir, 'bad.listen');
  writeFileSync(bad, 'unix:///tmp/x');
  await assert.rejects(
    readListenFile(bad),
    (e: unknown) => TendError.is(e, 'invalid_spec') && e.message.includes(bad),
  );
  assert.ok(!(await listPlugins(dir)).some((e) => e.name === 'bad'), 'an unreadable one is not listed');
  rmSync(bad);
  const dead = join(dir, 'dead.listen');
  writeFileSync(dead, 'tcp://127.0.0.1:1');
  await assert.rejects(
    connectInstancePlugin({ name: 'dead', dir }),
    (e: unknown) => TendError.is(e, 'unavailable') && e.message.includes('127.0.0.1:1 ('),
  );
  rmSync(dead);
});
