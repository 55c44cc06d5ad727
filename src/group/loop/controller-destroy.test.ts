// The operator's destroys (destroy-these-instances, destroy-all) run the normal tick.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type InstanceId, TendError } from '../../spi/index.js';
import { parsePlannerState } from '../plan/state.js';
import { kit } from '../testing/controller-test-kit.js';
import { testSpec } from '../testing/plan-fixtures.js';

async function threeRunning() {
  const k = kit(testSpec({ size: 3 }));
  await k.controller.tick();
  await k.controller.tick();
  const ids = [...k.cloud.instances.keys()].sort();
  return { ...k, ids };
}

test('destroy-these: recorded in the journal first, then drained, journaled and reported destroyed', async () => {
  const k = await threeRunning();
  const victim = k.ids[1] as InstanceId;
  let recordedVictims: unknown;
  await k.controller.destroyInstances([victim], {
    recorded: async () => {
      recordedVictims = parsePlannerState(k.journal.state()).victims;
      k.controller.update(testSpec({ size: 2 }));
    },
  });
  assert.deepEqual(recordedVictims, [victim], 'in the journal before the size changed');
  assert.deepEqual(
    [...k.cloud.instances.keys()].sort(),
    k.ids.filter((id) => id !== victim),
  );
  assert.deepEqual(k.flavor.drained, [victim]);
  const intent = k.journal.history.find((i) => i.operation === 'destroy');
  assert.equal(intent?.instanceId, victim, 'a journal intent before the call');
  assert.deepEqual(k.journal.intents(), [], 'and cleared after it');
  const destroyed = k.events.filter((e) => e.type === 'destroyed');
  assert.deepEqual(
    destroyed.map((e) => [e.instanceId, e.data?.reason]),
    [[victim, 'terminate']],
  );
  assert.equal(parsePlannerState(k.journal.state()).victims, undefined, 'done with');
  await k.controller.tick();
  assert.equal(k.cloud.instances.size, 2, 'the smaller size holds; nobody else goes');
});

test('destroy-these: a failing destroy is retried on the same instance, never traded for another', async () => {
  const k = await threeRunning();
  const victim = k.ids[2] as InstanceId;
  const destroy = k.cloud.destroy.bind(k.cloud);
  let refuse = true;
  k.cloud.destroy = async (id, context, options) => {
    if (id === victim && refuse) {
      k.cloud.calls.push(`destroy ${id} refused`);
      throw new TendError('internal', 'cannot destroy now');
    }
    return destroy(id, context, options);
  };
  const done = k.controller.destroyInstances([victim], {
    recorded: async () => k.controller.update(testSpec({ size: 2 })),
  });
  const settled = done.then(
    () => 'resolved',
    (error: unknown) => (TendError.is(error, 'unavailable') ? 'gave up' : String(error)),
  );
  for (let i = 0; i < 40; i++) await k.clock.advance(10_000);
  assert.equal(await settled, 'gave up');
  assert.equal(k.cloud.instances.size, 3, 'no other instance was picked for the smaller size');
  assert.ok(k.cloud.calls.filter((c) => c === `destroy ${victim} refused`).length >= 10);
  assert.deepEqual(parsePlannerState(k.journal.state()).victims, [victim], 'still recorded');
  refuse = false;
  await k.controller.tick();
  assert.deepEqual([...k.cloud.instances.keys()].sort(), k.ids.slice(0, 2));
});

test('destroy-these goes while the group is paused', async () => {
  const k = await threeRunning();
  k.controller.pause();
  await k.controller.destroyInstances([k.ids[0] as InstanceId]);
  assert.equal(k.cloud.instances.has(k.ids[0] as InstanceId), false);
  await k.controller.tick();
  assert.equal(k.cloud.instances.size, 2, 'paused: the slot is not refilled');
});

test('destroy-all runs the tick: drain, journal intents, destroyed events, paused or not', async () => {
  const k = await threeRunning();
  k.controller.pause();
  await k.controller.destroyAll();
  assert.equal(k.cloud.instances.size, 0);
  assert.deepEqual(k.flavor.drained.sort(), k.ids);
  assert.deepEqual(
    k.journal.history
      .filter((i) => i.operation === 'destroy')
      .map((i) => i.instanceId)
      .sort(),
    k.ids,
  );
  assert.deepEqual(
    k.events
      .filter((e) => e.type === 'destroyed')
      .map((e) => [e.instanceId, e.data?.reason])
      .sort(),
    k.ids.map((id) => [id, 'group-destroy']),
  );
  assert.equal(k.controller.state, 'stopped');
  assert.equal(k.controller.status().phase, 'destroying');
});

test('destroy-all goes on over several ticks when one tick may not do it all', async () => {
  const k = kit(testSpec({ size: 3 }), { maxActionsPerTick: 2 });
  await k.controller.tick();
  await k.controller.tick();
  await k.controller.tick();
  assert.equal(k.cloud.instances.size, 3);
  await k.controller.destroyAll();
  assert.equal(k.cloud.instances.size, 0);
});

test('destroy-all gives up with unavailable after repeated failed rounds', async () => {
  const k = await threeRunning();
  k.cloud.describeFails = true;
  const settled = k.controller.destroyAll().then(
    () => 'resolved',
    (error: unknown) => (TendError.is(error, 'unavailable') ? 'gave up' : String(error)),
  );
  for (let i = 0; i < 40; i++) await k.clock.advance(10_000);
  assert.equal(await settled, 'gave up');
  assert.equal(k.cloud.instances.size, 3, 'blind: nothing destroyed');
});
