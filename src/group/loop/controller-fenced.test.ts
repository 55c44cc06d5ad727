// #10 item 5: the controller hands its epoch to every mutating plugin call, and a plugin's
// `fenced` refusal means "a newer leader acts": the term ends instead of the controller retrying.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callEpoch, MemoryEpochFence } from '../../lib/index.js';
import type { InstancePlugin, TendError } from '../../spi/index.js';
import { kit } from '../testing/controller-test-kit.js';
import { testSpec } from '../testing/plan-fixtures.js';

/** The fake cloud behind a plugin-side fence, recording the epoch each mutating call carried. */
function fenced(cloud: InstancePlugin, seen: string[]) {
  const fence = new MemoryEpochFence({ plugin: 'simulator' });
  const plugin: InstancePlugin = {
    ...cloud,
    provision: async (spec, options) => {
      seen.push(`provision ${options?.epoch}`);
      fence.admit(callEpoch(options, spec.tags), 'provision');
      return cloud.provision(spec, options);
    },
    destroy: async (id, context, options) => {
      seen.push(`destroy ${options?.epoch}`);
      fence.admit(callEpoch(options), `destroy of ${id}`);
      return cloud.destroy(id, context, options);
    },
  };
  return { plugin, fence };
}

test('provision and destroy carry the epoch; a fenced refusal ends the term and nothing more is tried', async () => {
  const base = kit(testSpec({ size: 2 }));
  const seen: string[] = [];
  const { plugin, fence } = fenced(base.cloud, seen);
  const term = new AbortController();
  const refusals: TendError[] = [];
  const controller = base.make({
    instancePlugin: plugin,
    onFenced: (error) => {
      refusals.push(error);
      term.abort(error);
    },
  });
  await controller.tick();
  assert.deepEqual(seen, ['provision 7', 'provision 7']);
  // A newer leader acted on the platform; then this one's spec shrinks, so it wants to scale in.
  fence.admit(8, 'provision');
  controller.update(testSpec({ size: 1 }));
  controller.start(term.signal);
  for (let i = 0; i < 30 && !term.signal.aborted; i++) await base.clock.advance(1_000);
  await controller.stop();
  assert.equal(seen.at(-1), 'destroy 7');
  assert.equal(refusals.length, 1, 'told once');
  assert.equal(refusals[0]?.kind, 'fenced');
  assert.equal(base.cloud.instances.size, 2, 'the refused destroy removed nothing');
  const calls = seen.length;
  await base.clock.advance(10_000);
  assert.equal(seen.length, calls, 'a stopped controller calls no more');
});
