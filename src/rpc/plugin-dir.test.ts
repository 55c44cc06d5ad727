import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TendError } from '../spi/index.js';
import { JsonRpcDispatcher } from './json-rpc-dispatcher.js';
import { serveJsonRpc } from './json-rpc-server.js';
import {
  cleanStaleSockets,
  ensurePluginDir,
  findPlugin,
  listPlugins,
  parsePluginName,
  pluginDir,
  pluginSocketPath,
} from './plugin-dir.js';

let root: string;
before(() => {
  root = mkdtempSync('/tmp/tend-');
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('plugin directory', () => {
  test('TEND_PLUGIN_DIR wins, else ~/.tend/plugins', () => {
    assert.equal(pluginDir({ TEND_PLUGIN_DIR: '/x/y' }), '/x/y');
    assert.equal(pluginDir({}), join(homedir(), '.tend', 'plugins'));
    assert.equal(pluginDir({ TEND_HOME: '/h' }), '/h/plugins');
    assert.equal(pluginDir({ TEND_HOME: '/h', TEND_PLUGIN_DIR: '/x/y' }), '/x/y');
    assert.equal(pluginDir({ TEND_PLUGIN_DIR: '' }), join(homedir(), '.tend', 'plugins'));
  });

  test('is created mode 0700, and an existing one is tightened', async () => {
    const dir = join(root, 'a', 'plugins');
    await ensurePluginDir(dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const loose = join(root, 'loose');
    mkdirSync(loose, { mode: 0o755 });
    await ensurePluginDir(loose);
    assert.equal(statSync(loose).mode & 0o777, 0o700);
  });

  test('lookup/type names mean socket lookup plus a Type', () => {
    assert.deepEqual(parsePluginName('flavor-zk/member'), {
      name: 'flavor-zk/member',
      lookup: 'flavor-zk',
      type: 'member',
    });
    assert.deepEqual(parsePluginName('docker'), { name: 'docker', lookup: 'docker' });
    assert.equal(pluginSocketPath('/d', 'flavor-zk/member'), '/d/flavor-zk');
    for (const bad of ['', '/x', '..', 'a/', 'a/b/c']) {
      assert.throws(
        () => parsePluginName(bad),
        (e: unknown) => TendError.is(e, 'invalid_spec'),
        bad,
      );
    }
  });

  test('a socket path over the limit is invalid_spec naming the path and 107', () => {
    const long = 'p'.repeat(110);
    assert.throws(
      () => pluginSocketPath(root, long),
      (e: unknown) =>
        TendError.is(e, 'invalid_spec') && e.message.includes(join(root, long)) && e.message.includes('107'),
    );
  });

  test('lists socket files only, finds by name, not_found names the dir', async () => {
    const dir = join(root, 'list');
    await ensurePluginDir(dir);
    writeFileSync(join(dir, 'README'), 'not a plugin');
    const live = await serveJsonRpc({ socketPath: join(dir, 'live'), dispatcher: new JsonRpcDispatcher() });
    try {
      assert.deepEqual(await listPlugins(dir), [{ name: 'live', socketPath: join(dir, 'live') }]);
      const found = await findPlugin(dir, 'live/small');
      assert.equal(found.socketPath, join(dir, 'live'));
      assert.equal(found.type, 'small');
      await assert.rejects(
        findPlugin(dir, 'nobody'),
        (e: unknown) =>
          TendError.is(e, 'not_found') && e.message.includes('nobody') && e.message.includes(dir),
      );
      await assert.rejects(findPlugin(dir, 'README'), (e: unknown) => TendError.is(e, 'not_found'));
      assert.deepEqual(await listPlugins(join(root, 'absent')), []);
    } finally {
      await live.close();
    }
  });

  test('cleanStaleSockets removes dead sockets and keeps live ones', async () => {
    const dir = join(root, 'clean');
    await ensurePluginDir(dir);
    const live = await serveJsonRpc({ socketPath: join(dir, 'live'), dispatcher: new JsonRpcDispatcher() });
    const dead = await serveJsonRpc({ socketPath: join(dir, 'tmp'), dispatcher: new JsonRpcDispatcher() });
    linkSync(dead.socketPath, join(dir, 'dead'));
    await dead.close();
    try {
      assert.deepEqual(await cleanStaleSockets(dir), ['dead']);
      assert.deepEqual(
        (await listPlugins(dir)).map((p) => p.name),
        ['live'],
      );
    } finally {
      await live.close();
    }
  });
});
