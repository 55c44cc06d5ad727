// #10 item 5: the caller's epoch reaches a remote plugin on every mutating call (`Epoch`), and a
// plugin's `fenced` refusal comes back as that kind, so the controller knows its term is over.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { callEpoch, MemoryEpochFence } from '../lib/index.js';
import { type CallOptions, type InstancePlugin, instanceId, TendError } from '../spi/index.js';
import { connectInstancePlugin } from './connect-plugin.js';
import { servePlugin } from './serve-plugin.js';

let dir: string;
before(() => {
  dir = mkdtempSync('/tmp/tend-epoch-');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function fencedPlugin(seen: Array<number | undefined>): InstancePlugin {
  const fence = new MemoryEpochFence({ plugin: 'fenced-test' });
  const admit = (options: CallOptions | undefined, what: string, tags?: Record<string, string>) => {
    const epoch = callEpoch(options, tags);
    seen.push(epoch);
    fence.admit(epoch, what);
  };
  return {
    validate: async () => {},
    provision: async (spec, options) => {
      admit(options, 'provision', spec.tags);
      return instanceId('i-1');
    },
    label: async (_id, _labels, options) => admit(options, 'label'),
    destroy: async (_id, _context, options) => admit(options, 'destroy'),
    describeInstances: async () => [],
  };
}

test('Epoch travels with Provision, Label and Destroy; a fenced refusal keeps its kind', async () => {
  const seen: Array<number | undefined> = [];
  const server = await servePlugin({ dir, name: 'fenced', instance: fencedPlugin(seen) });
  const plugin = await connectInstancePlugin({ dir, name: 'fenced' });
  try {
    const spec = { tags: { 'tend.op': 'k' }, init: '', attachments: [] };
    await plugin.provision(spec, { epoch: 7 });
    await plugin.label(instanceId('i-1'), { a: 'b' }, { epoch: 7 });
    await plugin.destroy(instanceId('i-1'), { reason: 'scale-in' }, { epoch: 8 });
    // A caller that is not Tend sends no epoch and is not fenced.
    await plugin.destroy(instanceId('i-1'), { reason: 'terminate' });
    assert.deepEqual(seen, [7, 7, 8, undefined]);
    for (const call of [
      () => plugin.provision(spec, { epoch: 7 }),
      () => plugin.label(instanceId('i-1'), {}, { epoch: 7 }),
      () => plugin.destroy(instanceId('i-1'), { reason: 'scale-in' }, { epoch: 7 }),
    ]) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(TendError.is(error, 'fenced'), String(error));
        assert.match(error.message, /epoch 7 is older than epoch 8/);
        return true;
      });
    }
  } finally {
    await plugin.close();
    await server.close();
  }
});
