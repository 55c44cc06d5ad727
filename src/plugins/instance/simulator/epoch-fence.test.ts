// #10 item 5: the simulated cloud refuses a mutating call from an epoch older than one it has seen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../../lib/index.js';
import { type InstanceSpec, TAG_EPOCH, TAG_GROUP, TAG_OP, TendError } from '../../../spi/index.js';
import { createSimulatorPlugin } from './index.js';

const spec = (op: string, epoch: number): InstanceSpec => ({
  tags: { [TAG_GROUP]: 'g', [TAG_OP]: op, [TAG_EPOCH]: String(epoch) },
  init: '',
  attachments: [],
});

test('an old epoch is refused (fenced) after a newer one acted, and changes nothing', async () => {
  const plugin = createSimulatorPlugin({ clock: new VirtualClock({ start: 0 }), seed: 1 });
  const kept = await plugin.provision(spec('a', 3));
  await plugin.provision(spec('b', 4));
  const fenced = (error: unknown) =>
    TendError.is(error, 'fenced') && /epoch 3 is older than epoch 4/.test(String(error));
  await assert.rejects(plugin.provision(spec('c', 3)), fenced);
  await assert.rejects(plugin.destroy(kept, { reason: 'scale-in' }, { epoch: 3 }), fenced);
  await assert.rejects(plugin.label(kept, { x: 'y' }, { epoch: 3 }), fenced);
  assert.deepEqual(
    plugin
      .instances()
      .map((i) => i.tags[TAG_OP])
      .sort(),
    ['a', 'b'],
  );
  await plugin.destroy(kept, { reason: 'scale-in' }, { epoch: 4 });
  assert.equal(plugin.instances().length, 1);
  await plugin.close();
});

test('a call aborted during its latency has no effect', async () => {
  const clock = new VirtualClock({ start: 0 });
  const plugin = createSimulatorPlugin({ clock, seed: 1, latencyMs: { min: 100, max: 100 } });
  const abort = new AbortController();
  const pending = plugin.provision(spec('a', 1), { signal: abort.signal });
  abort.abort();
  await assert.rejects(pending, (error: unknown) => TendError.is(error, 'timeout'));
  assert.equal(plugin.instances().length, 0);
  await plugin.close();
});
