import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  type FlavorPlugin,
  type GroupPlugin,
  groupId,
  type InstancePlugin,
  instanceId,
  logicalId,
  TendError,
} from '../spi/index.js';
import {
  connectFlavorPlugin,
  connectGroupPlugin,
  connectInstancePlugin,
  connectPlugin,
} from './connect-plugin.js';
import { JsonRpcDispatcher } from './json-rpc-dispatcher.js';
import { serveJsonRpc } from './json-rpc-server.js';
import { servePlugin } from './serve-plugin.js';

let dir: string;
before(() => {
  dir = mkdtempSync('/tmp/tend-');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Records what reached it, so a test sees the codec's output on the far side of the socket. */
function recordingInstance(label: string, seen: unknown[]): InstancePlugin {
  return {
    validate: async (properties) => {
      if (properties === 'bad') throw new TendError('invalid_spec', `${label}: bad properties`);
    },
    provision: async (spec) => {
      seen.push(spec);
      if (spec.tags.throttle === 'yes') throw new TendError('throttled', 'request limit exceeded');
      return instanceId(`${label}-1`);
    },
    label: async () => {},
    destroy: async (id, context) => {
      seen.push({ id, context });
    },
    describeInstances: async (tags, options) => [
      {
        id: instanceId(`${label}-1`),
        tags: { ...tags },
        ...(options?.properties ? { properties: { big: true } } : {}),
      },
    ],
  };
}

const flavor: FlavorPlugin = {
  validate: async () => {},
  prepare: async (_p, spec, allocation, index) => ({
    ...spec,
    init: `${spec.init}\necho ${index.group}-${index.sequence}-${'size' in allocation ? allocation.size : allocation.logicalIds.join(',')}`,
  }),
  healthy: async (_p, instance) => (instance.tags.health === 'bad' ? 'unhealthy' : 'healthy'),
  drain: async () => {},
};

describe('servePlugin + remote adapters', () => {
  test('an instance plugin round-trips through the wire, with Type routing', async () => {
    const seen: unknown[] = [];
    const server = await servePlugin({
      dir,
      name: 'cloud',
      instance: { small: recordingInstance('small', seen), large: recordingInstance('large', []) },
    });
    const plugin = await connectInstancePlugin({ dir, name: 'cloud/small' });
    try {
      const spec = {
        tags: { 'tend.op': 'k' },
        init: 'boot',
        logicalId: logicalId('m1'),
        attachments: [{ id: 'v', type: 'disk' }],
        properties: { size: 1 },
      };
      assert.equal(await plugin.provision(spec), 'small-1');
      assert.deepEqual(seen[0], spec);
      await plugin.destroy(instanceId('small-1'), { reason: 'rolling_update' });
      assert.deepEqual(seen[1], { id: 'small-1', context: { reason: 'rolling_update' } });
      assert.deepEqual(await plugin.describeInstances({ a: 'b' }, { properties: true }), [
        { id: 'small-1', tags: { a: 'b' }, properties: { big: true } },
      ]);
      await assert.rejects(plugin.validate('bad'), (e: unknown) => TendError.is(e, 'invalid_spec'));
      await assert.rejects(
        plugin.provision({ ...spec, tags: { throttle: 'yes' } }),
        (e: unknown) => TendError.is(e, 'throttled') && e.message.includes('plugin cloud/small'),
      );
      const other = await connectInstancePlugin({ dir, name: 'cloud/huge' });
      await assert.rejects(
        other.validate({}),
        (e: unknown) =>
          TendError.is(e, 'not_found') && /no instance type "huge" \(it has large, small\)/.test(e.message),
      );
      await other.close();
    } finally {
      await plugin.close();
      await server.close();
    }
  });

  test('a flavor and a group plugin round-trip; the handshake lists what is served', async () => {
    const calls: string[] = [];
    const group: GroupPlugin = {
      commitGroup: async (spec, pretend) => `${spec.id} pretend=${pretend}`,
      freeGroup: async (id) => void calls.push(`free ${id}`),
      destroyGroup: async (id) => void calls.push(`destroy ${id}`),
      describeGroup: async () => ({
        instances: [
          { id: instanceId('i1'), tags: { 'tend.config': 'abc' }, health: 'unhealthy', config: 'abc' },
        ],
        converged: true,
      }),
      inspectGroups: async () => [{ id: groupId('g'), properties: { x: 1 } }],
      destroyInstances: async (id, ids) => void calls.push(`kill ${id} ${ids.join(',')}`),
      size: async () => 3,
      setSize: async (id, size) => void calls.push(`size ${id} ${size}`),
    };
    const server = await servePlugin({ dir, name: 'mixed', flavor, group });
    const connected = await connectPlugin({ dir, name: 'mixed' });
    connected.client.close();
    assert.deepEqual(connected.apis, [
      { name: 'Flavor', version: '0.1.0' },
      { name: 'Group', version: '0.1.0' },
      { name: 'Group', version: '0.1.1' },
    ]);
    const f = await connectFlavorPlugin({ dir, name: 'mixed' });
    const g = await connectGroupPlugin({ dir, name: 'mixed' });
    try {
      const prepared = await f.prepare(
        null,
        { tags: {}, init: 'a', attachments: [] },
        { logicalIds: [logicalId('x')] },
        { group: 'g', sequence: 2 },
      );
      assert.equal(prepared.init, 'a\necho g-2-x');
      assert.equal(await f.healthy(null, { id: instanceId('i'), tags: { health: 'bad' } }), 'unhealthy');
      await f.drain(null, { id: instanceId('i'), tags: {} });
      await f.validate({}, { size: 2 });
      assert.equal(await g.commitGroup({ id: 'g', properties: {} }, true), 'g pretend=true');
      assert.deepEqual(await g.describeGroup(groupId('g')), {
        instances: [{ id: 'i1', tags: { 'tend.config': 'abc' }, health: 'unhealthy', config: 'abc' }],
        converged: true,
      });
      assert.deepEqual(await g.inspectGroups(), [{ id: 'g', properties: { x: 1 } }]);
      assert.equal(await g.size(groupId('g')), 3);
      await g.setSize(groupId('g'), 5);
      await g.destroyInstances(groupId('g'), [instanceId('a'), instanceId('b')]);
      await g.freeGroup(groupId('g'));
      await g.destroyGroup(groupId('g'));
      assert.deepEqual(calls, ['size g 5', 'kill g a,b', 'free g', 'destroy g']);
      await assert.rejects(
        connectInstancePlugin({ dir, name: 'mixed' }),
        (e: unknown) =>
          TendError.is(e, 'invalid_spec') &&
          /does not implement Instance \(it announces Flavor\/0\.1\.0, Group\/0\.1\.0, Group\/0\.1\.1\)/.test(
            e.message,
          ),
      );
    } finally {
      await f.close();
      await g.close();
      await server.close();
    }
  });

  test('a plugin announcing an unknown version is refused, saying what it found', async () => {
    const dispatcher = new JsonRpcDispatcher();
    dispatcher.register('Handshake.Implements', async () => ({
      APIs: [{ Name: 'Instance', Version: '0.3.0' }],
    }));
    const server = await serveJsonRpc({ socketPath: `${dir}/old`, dispatcher });
    try {
      await assert.rejects(
        connectInstancePlugin({ dir, name: 'old' }),
        (e: unknown) =>
          TendError.is(e, 'invalid_spec') &&
          e.message === 'plugin old implements Instance/0.3.0, but this Tend speaks Instance/0.5.0',
      );
    } finally {
      await server.close();
    }
  });

  test('wrong param types on the wire are -32602 naming the field', async () => {
    const server = await servePlugin({ socketPath: `${dir}/strict`, instance: recordingInstance('x', []) });
    const connected = await connectPlugin({ dir, name: 'strict' });
    try {
      await assert.rejects(
        connected.client.call('Instance.Provision', { Spec: { Tags: { a: 1 } } }),
        (e: unknown) => TendError.is(e, 'invalid_spec') && e.message.includes('params.Spec.Tags.a'),
      );
    } finally {
      connected.client.close();
      await server.close();
    }
  });
});
