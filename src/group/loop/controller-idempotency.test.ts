// Issue #16 item 4: no duplicates with a plugin that ignores `tend.op` (as InfraKit's plugins do):
// before a key whose provision failed is provisioned again, the controller looks for it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRandom } from '../../lib/index.js';
import { TAG_OP } from '../../spi/index.js';
import { kit } from '../testing/controller-test-kit.js';
import type { FakeCloud, ProvisionFault } from '../testing/fake-plugins.js';
import { testSpec } from '../testing/plan-fixtures.js';

/** Every instance ID seen per `tend.op`, across ticks. */
function keyLedger(cloud: FakeCloud) {
  const byKey = new Map<string, Set<string>>();
  return {
    look() {
      for (const i of cloud.instances.values()) {
        const key = i.tags[TAG_OP] ?? '';
        const ids = byKey.get(key) ?? new Set<string>();
        ids.add(i.id);
        byKey.set(key, ids);
      }
    },
    duplicates: () => [...byKey.values()].reduce((n, ids) => n + ids.size - 1, 0),
  };
}

test('a provision that timed out and landed later is found by its key, not made twice', async () => {
  const { controller, cloud } = kit(testSpec({ size: 1 }));
  cloud.ignoresOp = true;
  cloud.faults.push('late');
  await controller.tick(); // times out; the platform goes on and the instance lands after the next look
  assert.equal(cloud.instances.size, 0);
  cloud.calls.length = 0;
  await controller.tick();
  assert.equal(cloud.instances.size, 1, 'one instance, not two');
  assert.deepEqual(
    cloud.calls.filter((c) => c.startsWith('provision')),
    [],
    'found by its key, so not provisioned again',
  );
  assert.deepEqual(cloud.calls, ['describe', 'describe']);
  await controller.tick();
  assert.equal(cloud.instances.size, 1);
  assert.equal(controller.status().healthy, 1);
});

test('a key that never failed costs no extra look', async () => {
  const { controller, cloud } = kit(testSpec({ size: 2 }));
  cloud.ignoresOp = true;
  await controller.tick();
  assert.deepEqual(
    cloud.calls.filter((c) => c === 'describe'),
    ['describe', 'describe'],
    "the tick's look and the first look for InfraKit's tag only",
  );
});

test('a plugin ignoring tend.op, lost and late answers, failures and vanishing instances: 0 duplicates', async () => {
  const faults: ProvisionFault[] = ['lose', 'late', 'fail', 'timeout'];
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const random = createRandom(seed);
    const { controller, cloud, clock } = kit(testSpec({ size: 3 }));
    cloud.ignoresOp = true;
    const ledger = keyLedger(cloud);
    let injected = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 3; i++) {
        const fault = random() < 0.35 ? faults[Math.floor(random() * faults.length)] : undefined;
        if (fault !== undefined) injected++;
        cloud.faults.push(...(fault === undefined ? [] : [fault]));
      }
      if (random() < 0.2) {
        const ids = [...cloud.instances.keys()];
        const victim = ids[Math.floor(random() * ids.length)];
        if (victim !== undefined) cloud.vanish(victim);
      }
      await controller.tick();
      ledger.look();
      cloud.faults.length = 0;
      await clock.advance(61_000); // past any backoff and the breaker's cool-down
    }
    assert.ok(injected > 10, `seed ${seed}: faults were injected (${injected})`);
    assert.equal(ledger.duplicates(), 0, `seed ${seed}: instances made twice for one key`);
  }
});
