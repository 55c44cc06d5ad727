// Tend's Instance.Logs extension and the Location field across a real unix socket: announced
// only by a plugin that keeps logs, absent on the remote side otherwise.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type InstancePlugin, instanceId, type LogsOptions, TendError } from '../spi/index.js';
import { locationFromWire } from './codec.js';
import { connectInstancePlugin, connectPlugin } from './connect-plugin.js';
import { servePlugin } from './serve-plugin.js';

let dir: string;
before(() => {
  dir = mkdtempSync('/tmp/tend-logs-rpc-');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function plugin(withLogs: boolean, seen: LogsOptions[] = []): InstancePlugin {
  const base: InstancePlugin = {
    validate: async () => {},
    provision: async () => instanceId('i-1'),
    label: async () => {},
    destroy: async () => {},
    describeInstances: async () => [
      {
        id: instanceId('i-1'),
        tags: {},
        location: { pid: 42, host: 'box', address: '10.0.0.5', containerId: 'abc' },
      },
    ],
  };
  if (!withLogs) return base;
  return {
    ...base,
    logs: async (id, options = {}) => {
      seen.push({
        ...(options.tailBytes === undefined ? {} : { tailBytes: options.tailBytes }),
        ...(options.sinceMs === undefined ? {} : { sinceMs: options.sinceMs }),
      });
      if (id !== 'i-1') throw new TendError('not_found', `no log of ${id}`);
      return 'hello\n';
    },
  };
}

test('a plugin with logs announces InstanceLogs and answers Instance.Logs', async () => {
  const seen: LogsOptions[] = [];
  const server = await servePlugin({ dir, name: 'withlogs', instance: plugin(true, seen) });
  try {
    const raw = await connectPlugin({ dir, name: 'withlogs' });
    raw.client.close();
    assert.ok(raw.apis.some((api) => api.name === 'InstanceLogs' && api.version === '0.1.0'));
    const remote = await connectInstancePlugin({ dir, name: 'withlogs' });
    try {
      assert.equal(typeof remote.logs, 'function');
      assert.equal(await remote.logs?.(instanceId('i-1'), { tailBytes: 100, sinceMs: 5 }), 'hello\n');
      assert.deepEqual(seen, [{ tailBytes: 100, sinceMs: 5 }]);
      await assert.rejects(remote.logs?.(instanceId('i-2')) ?? Promise.resolve(), (e: unknown) =>
        TendError.is(e, 'not_found'),
      );
      const [described] = await remote.describeInstances({});
      assert.deepEqual(described?.location, {
        pid: 42,
        host: 'box',
        address: '10.0.0.5',
        containerId: 'abc',
      });
    } finally {
      await remote.close();
    }
  } finally {
    await server.close();
  }
});

test('a plugin without logs announces no InstanceLogs; its remote offers no logs', async () => {
  const server = await servePlugin({ dir, name: 'nologs', instance: plugin(false) });
  try {
    const remote = await connectInstancePlugin({ dir, name: 'nologs' });
    assert.equal(remote.logs, undefined);
    await remote.close();
  } finally {
    await server.close();
  }
});

test('a Location of the wrong shape is dropped field by field', () => {
  assert.equal(locationFromWire('box'), undefined);
  assert.equal(locationFromWire({ PID: -1, Host: 7 }), undefined);
  assert.deepEqual(locationFromWire({ PID: 9, Host: 'h', Address: '' }), { pid: 9, host: 'h' });
});
