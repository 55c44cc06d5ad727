import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { type InstancePlugin, instanceId } from '../spi/index.js';
import { connectPlugin } from './connect-plugin.js';
import { metadataFromTree } from './metadata-tree.js';
import { servePlugin } from './serve-plugin.js';

let dir: string;
before(() => {
  dir = mkdtempSync('/tmp/tend-ik-');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const instance: InstancePlugin = {
  validate: async () => {},
  provision: async () => instanceId('i-1'),
  label: async () => {},
  destroy: async () => {},
  describeInstances: async () => [],
};

function get(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'GET', path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

test("Manager/0.1.0 and Metadata/0.1.0 are served in InfraKit's shapes and announced", async () => {
  let leading = true;
  const metadata = metadataFromTree({
    children: async () => ({
      leader: { value: async () => leading },
      specs: { value: async () => ({ web: { ID: 'web' } }) },
    }),
  });
  const server = await servePlugin({
    dir,
    name: 'mgr',
    instance: { small: instance, large: instance },
    manager: { isLeader: async () => leading },
    metadata,
  });
  const connected = await connectPlugin({ dir, name: 'mgr' });
  const call = (method: string, params: unknown) => connected.client.call(method, params);
  try {
    assert.deepEqual(
      connected.apis.map((api) => `${api.name}/${api.version}`),
      ['Instance/0.5.0', 'Manager/0.1.0', 'Metadata/0.1.0'],
    );
    assert.deepEqual(await call('Handshake.Types', {}), {
      Types: { 'Instance/0.5.0': ['large', 'small'], 'Manager/0.1.0': ['.'], 'Metadata/0.1.0': ['.'] },
    });
    assert.deepEqual(await call('Manager.IsLeader', {}), { Leader: true });
    leading = false;
    assert.deepEqual(await call('Manager.IsLeader', {}), { Leader: false });

    assert.deepEqual(await call('Metadata.List', { Path: null }), { Nodes: ['leader', 'specs'] });
    assert.deepEqual(await call('Metadata.List', { Path: ['specs'] }), { Nodes: ['web'] });
    assert.deepEqual(await call('Metadata.List', { Path: ['nothing'] }), { Nodes: null });
    assert.deepEqual(await call('Metadata.Get', { Path: ['specs', 'web', 'ID'] }), { Value: 'web' });
    assert.deepEqual(await call('Metadata.Get', { Path: ['leader'] }), { Value: false });
    assert.deepEqual(await call('Metadata.Get', { Path: [] }), { Value: null });
    assert.deepEqual(await call('Metadata.Get', { Path: ['nothing'] }), { Value: null });

    const info = await get(server.socketPath, '/info/api.json');
    assert.equal(info.status, 200);
    const parsed = JSON.parse(info.body) as {
      Implements: unknown[];
      Interfaces: Array<{ Name: string; Methods: Array<{ Request: { method: string; params: unknown } }> }>;
    };
    assert.deepEqual(parsed.Implements, [
      { Name: 'Instance', Version: '0.5.0' },
      { Name: 'Manager', Version: '0.1.0' },
      { Name: 'Metadata', Version: '0.1.0' },
    ]);
    const manager = parsed.Interfaces.find((i) => i.Name === 'Manager');
    assert.deepEqual(
      manager?.Methods.map((m) => m.Request),
      [{ jsonrpc: '2.0', method: 'Manager.IsLeader', params: {}, id: '1' }],
    );
    const instanceMethods = parsed.Interfaces.find((i) => i.Name === 'Instance')?.Methods.map(
      (m) => m.Request.method,
    );
    assert.ok(instanceMethods?.includes('Instance.Provision'));
    assert.ok(!instanceMethods?.includes('Handshake.Implements'));
    assert.deepEqual(await get(server.socketPath, '/info/functions.json'), { status: 200, body: '{}' });
    const other = await get(server.socketPath, '/elsewhere');
    assert.equal(other.status, 405);
  } finally {
    connected.client.close();
    await server.close();
  }
});

test('a group plugin is announced at Group/0.1.0 and 0.1.1; the info page shows 0.1.1 with Name', async () => {
  const server = await servePlugin({
    dir,
    name: 'grp',
    group: {
      commitGroup: async () => '',
      freeGroup: async () => {},
      destroyGroup: async () => {},
      describeGroup: async () => ({ instances: [], converged: true }),
      inspectGroups: async () => [],
      destroyInstances: async () => {},
      size: async () => 0,
      setSize: async () => {},
    },
    metadata: metadataFromTree({ children: async () => ({ specs: { value: async () => ({ web: 1 }) } }) }),
  });
  const connected = await connectPlugin({ dir, name: 'grp' });
  try {
    const info = JSON.parse((await get(server.socketPath, '/info/api.json')).body) as {
      Interfaces: Array<{
        Name: string;
        Version: string;
        Methods: Array<{ Request: { method: string; params: unknown } }>;
      }>;
    };
    const v011 = info.Interfaces.find((i) => i.Name === 'Group' && i.Version === '0.1.1');
    const size = v011?.Methods.find((m) => m.Request.method === 'Group.Size');
    assert.deepEqual(size?.Request.params, { Name: '', ID: '' });
    const v010 = info.Interfaces.find((i) => i.Name === 'Group' && i.Version === '0.1.0');
    assert.deepEqual(v010?.Methods.find((m) => m.Request.method === 'Group.Size')?.Request.params, {
      ID: '',
    });
    // InfraKit's types.Path travels as one string.
    assert.deepEqual(await connected.client.call('Metadata.Get', { Path: 'specs/web' }), { Value: 1 });
    assert.deepEqual(await connected.client.call('Metadata.List', { Path: '.' }), { Nodes: ['specs'] });
  } finally {
    connected.client.close();
    await server.close();
  }
});
