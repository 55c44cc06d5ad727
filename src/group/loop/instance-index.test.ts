import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kit } from '../testing/controller-test-kit.js';
import { testSpec } from '../testing/plan-fixtures.js';

test("the controller's instances come in ID order, sorted once per look", async () => {
  const { controller } = kit(testSpec({ size: 5 }));
  await controller.tick(); // creates them
  await controller.tick(); // sees them
  const sorted = controller.instances();
  const ids = sorted.map((i) => i.id);
  assert.equal(ids.length, 5);
  assert.deepEqual(ids, [...ids].sort());
  assert.deepEqual(new Set(ids), new Set(controller.status().instances.map((i) => i.id)));
  assert.equal(controller.instances(), sorted, 'no new look: the same sorted list, not sorted again');
  await controller.tick();
  assert.notEqual(controller.instances(), sorted, 'a new look: sorted afresh');
  assert.deepEqual(
    controller.instances().map((i) => i.id),
    ids,
  );
});

test('one instance is found by ID with its tags, and an unknown one is not', async () => {
  const { controller } = kit(testSpec({ size: 3 }));
  await controller.tick();
  await controller.tick();
  const [first] = controller.status().instances;
  assert.ok(first !== undefined);
  assert.deepEqual(controller.instance(first.id), first);
  assert.equal(controller.instance('i-nope'), undefined);
});
