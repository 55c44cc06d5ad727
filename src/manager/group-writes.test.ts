// Per-group write queues (#11 problem 4): a write to one group never waits behind another
// group's work, writes to one group still run one at a time. No clocks: the held destroy is
// released only by the pause's answer, so with one global queue the manager test deadlocks
// (the runner's hang guard fails it) instead of passing.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GroupControllerOptions } from '../group/index.js';
import { StaticLeadership } from '../leadership/index.js';
import { KeyedSerial as GroupWrites } from '../lib/index.js';
import { groupId, TendError } from '../spi/index.js';
import { MemoryStore } from '../store/index.js';
import { Manager } from './manager.js';
import { fakeControllers, fakeResolver, sampleSpec } from './testing/manager-fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

test('writes to one group run in arrival order, one at a time', async () => {
  const writes = new GroupWrites();
  const order: string[] = [];
  const held = gate();
  const first = writes.run(['a'], async () => {
    order.push('first:start');
    await held.promise;
    order.push('first:end');
  });
  const second = writes.run(['a'], async () => {
    order.push('second');
  });
  await sleep(0);
  assert.deepEqual(order, ['first:start']);
  held.open();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['first:start', 'first:end', 'second']);
  assert.equal(writes.busy, 0);
});

test("a write to one group does not wait for another group's", async () => {
  const writes = new GroupWrites();
  const held = gate();
  const slow = writes.run(['a'], () => held.promise);
  assert.equal(await writes.run(['b'], async () => 'b done'), 'b done');
  held.open();
  await slow;
});

test('a write naming several groups waits for each and holds each; a failure frees the queue', async () => {
  const writes = new GroupWrites();
  const order: string[] = [];
  const heldA = gate();
  const a = writes.run(['a'], async () => {
    await heldA.promise;
    order.push('a');
  });
  const both = writes.run(['a', 'b'], async () => {
    order.push('a+b');
    throw new Error('boom');
  });
  const b = writes.run(['b'], async () => {
    order.push('b');
  });
  await sleep(0);
  assert.deepEqual(order, []);
  heldA.open();
  await a;
  await assert.rejects(both, /boom/);
  await b;
  assert.deepEqual(order, ['a', 'a+b', 'b']);
});

test("pause answers while another group's long destroy is in progress", async () => {
  const controllers = fakeControllers();
  const held = gate();
  let destroyEntered = false;
  const create = (options: GroupControllerOptions) => {
    const controller = controllers.create(options);
    if (options.spec.id !== 'slow') return controller;
    // The destroy of `slow` stands for one that retries with backoff for minutes.
    return {
      ...controller,
      destroyAll: async () => {
        destroyEntered = true;
        await held.promise;
      },
    };
  };
  const manager = await Manager.create({
    name: 'm1',
    store: new MemoryStore(),
    resolver: fakeResolver(),
    leadership: ({ address }) => new StaticLeadership({ name: 'm1', address }),
    listen: { port: 0 },
    createController: create,
    defaultAuthor: 'test',
  });
  cleanups.push(() => manager.stop());
  manager.start();
  for (let i = 0; i < 2000 && !manager.isLeader(); i++) await sleep(5); // a hang guard
  await manager.apply(sampleSpec('slow', 2), {});
  await manager.apply(sampleSpec('other', 2), {});

  const order: string[] = [];
  const destroying = manager.destroyGroup(groupId('slow')).then(() => order.push('destroy'));
  for (let i = 0; i < 2000 && !destroyEntered; i++) await sleep(5); // a hang guard
  assert.ok(destroyEntered, 'the destroy of slow is running');
  // The same group's next write waits behind its destroy (and finds the group gone).
  const sameGroup = manager.pauseRollout(groupId('slow')).then(
    () => order.push('pause slow: ok'),
    (error: unknown) => order.push(`pause slow: ${error instanceof TendError ? error.kind : String(error)}`),
  );

  const paused = await manager.pauseRollout(groupId('other'));
  order.push('pause other');
  assert.equal(paused.ok, true);
  assert.equal(controllers.latest('other')?.calls.includes('pause'), true);
  held.open();
  await Promise.all([destroying, sameGroup]);
  assert.deepEqual(order, ['pause other', 'destroy', 'pause slow: not_found']);
});
