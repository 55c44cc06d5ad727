// A controller that starts where another left off (a restart, a new leader) on the same journal:
// what went while no controller watched is reported once, and what Tend destroyed is not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePlannerState } from '../plan/state.js';
import { kit } from '../testing/controller-test-kit.js';
import { testSpec } from '../testing/plan-fixtures.js';

test('an instance gone while no controller ran is vanished at the next start, once, before its replacement', async () => {
  const k = kit();
  await k.controller.tick();
  await k.controller.tick(); // listed by a describe: the journal now names all three
  await k.controller.stop();
  const [victim] = [...k.cloud.instances.keys()];
  assert.ok(victim !== undefined);
  k.cloud.instances.delete(victim); // kill -9 while no manager runs

  const since = k.events.length;
  await k.make().tick();
  const after = k.events.slice(since);
  const vanished = after.findIndex((e) => e.type === 'vanished');
  assert.deepEqual(after[vanished], {
    type: 'vanished',
    groupId: 'g',
    instanceId: victim,
    message: `instance ${victim} went while no leader watched (not destroyed by Tend); it will be replaced`,
    at: k.clock.now(),
    data: { unwatched: true },
  });
  const created = after.findIndex((e) => e.type === 'created');
  assert.ok(vanished < created, `vanished before the replacement: ${after.map((e) => e.type).join(', ')}`);
  assert.equal(k.cloud.instances.size, 3);

  const again = k.events.length;
  const third = k.make();
  await third.tick();
  await third.tick();
  assert.deepEqual(
    k.events.slice(again).filter((e) => e.type === 'vanished'),
    [],
    'reported once, not on every start',
  );
});

test('instances Tend destroyed are never reported vanished by the next controller', async () => {
  const k = kit();
  await k.controller.tick();
  await k.controller.tick();
  const destroy = k.cloud.destroy.bind(k.cloud);
  const storedDuringDestroy: string[][] = [];
  k.cloud.destroy = async (id, options, call) => {
    // A crash during or right after this call must not leave the victim in the stored list.
    storedDuringDestroy.push([...(parsePlannerState(k.journal.state()).listed ?? [])]);
    assert.ok(!storedDuringDestroy.at(-1)?.includes(id), `${id} still stored while being destroyed`);
    return destroy(id, options, call);
  };
  k.controller.update(testSpec({ size: 1 }));
  await k.controller.tick();
  assert.equal(k.cloud.instances.size, 1);
  assert.equal(storedDuringDestroy.length, 2);

  const since = k.events.length;
  const next = k.make({ spec: testSpec({ size: 1 }) });
  await next.tick();
  assert.deepEqual(
    k.events.slice(since).filter((e) => e.type === 'vanished'),
    [],
  );
});

test('a journal written before the list was kept reports nothing at the first start', async () => {
  const k = kit();
  await k.controller.tick();
  await k.controller.tick();
  const { listed: _dropped, ...older } = parsePlannerState(k.journal.state());
  await k.journal.saveState(JSON.parse(JSON.stringify(older)));
  const [victim] = [...k.cloud.instances.keys()];
  assert.ok(victim !== undefined);
  k.cloud.instances.delete(victim);
  const since = k.events.length;
  await k.make().tick();
  assert.equal(k.events.slice(since).filter((e) => e.type === 'vanished').length, 0);
  assert.equal(k.cloud.instances.size, 3, 'still replaced');
});
