import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { VirtualClock } from '../../lib/index.js';
import { groupId, type InstanceId, type InstancePlugin, TAG_GROUP, TendError } from '../../spi/index.js';
import { fakeCloud, fakeFlavor } from '../testing/fake-plugins.js';
import { testSpec } from '../testing/plan-fixtures.js';
import { createGroupController } from './controller.js';
import {
  ALIGNED_GATHER_MS,
  createDescribeCoalescer,
  type Describer,
  directDescriber,
} from './describe-coalescer.js';
import { createPluginLimiter, type PluginLimiter } from './limiter.js';
import { memoryJournal } from './memory-journal.js';

/** A cloud with `groups` groups of `size` instances each, plus one instance Tend did not make. */
function populated(groups: number, size: number) {
  const clock = new VirtualClock({ start: 1_000_000 });
  const cloud = fakeCloud({ clock });
  let n = 0;
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < size; i++) {
      const id = `i-${++n}` as InstanceId;
      cloud.instances.set(id, { id, tags: { [TAG_GROUP]: `g${g}`, 'tend.config': 'c' } });
    }
  }
  cloud.instances.set('foreign' as InstanceId, { id: 'foreign' as InstanceId, tags: { owner: 'someone' } });
  const limiter = createPluginLimiter({ ratePerSec: 10_000, burst: 10_000, concurrency: 4, clock });
  return { clock, cloud, limiter };
}

/** `count` group controllers g0, g1, … of `size` each on one plugin, limiter and describer. */
function groupsOn(options: {
  count: number;
  size: number;
  plugin: InstancePlugin;
  clock: VirtualClock;
  limiter: PluginLimiter;
  describer: Describer;
  alignTicks?: boolean;
}) {
  const { count, size, plugin, ...shared } = options;
  return Array.from({ length: count }, (_, g) =>
    createGroupController({
      spec: testSpec({ id: `g${g}`, size }),
      instancePlugin: plugin,
      flavorPlugin: fakeFlavor(),
      journal: memoryJournal(),
      epoch: 1,
      random: () => 0.5,
      ...shared,
    }),
  );
}

const describes = (calls: readonly string[]) => calls.filter((c) => c === 'describe').length;

test('50 groups describing at once make one plugin call, and each gets exactly its own instances', async () => {
  const { clock, cloud, limiter } = populated(50, 3);
  const coalescer = createDescribeCoalescer({ plugin: cloud, limiter, clock });
  const signal = new AbortController().signal;
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, g) =>
      coalescer.describe({ [TAG_GROUP]: `g${g}` }, new AbortController().signal),
    ),
  );
  assert.equal(describes(cloud.calls), 1);
  assert.deepEqual(coalescer.stats(), { calls: 1, requests: 50, failures: 0 });
  const direct = directDescriber({ plugin: cloud, limiter, clock });
  for (let g = 0; g < 50; g++) {
    assert.deepEqual(answers[g], await direct.describe({ [TAG_GROUP]: `g${g}` }, signal), `group g${g}`);
  }
  assert.equal(limiter.stats().callsByLane.observe, 51, 'describes take the observe lane');
});

test('one call per window, whatever the number of groups; a lone request goes out at once', async () => {
  const { clock, cloud, limiter } = populated(50, 1);
  const coalescer = createDescribeCoalescer({ plugin: cloud, limiter, clock, windowMs: 200 });
  const signal = new AbortController().signal;
  const lone = coalescer.describe({ [TAG_GROUP]: 'g0' }, signal);
  await turn();
  await lone;
  assert.equal(describes(cloud.calls), 1, 'no wait when the plugin was idle');
  // Groups ticking at different moments of the next window all ride on its one call.
  const spread: Array<Promise<unknown>> = [];
  for (let g = 0; g < 50; g++) {
    spread.push(coalescer.describe({ [TAG_GROUP]: `g${g}` }, new AbortController().signal));
    await clock.advance(3); // 50 requests over 150 ms
  }
  await clock.advance(200);
  await Promise.all(spread);
  assert.equal(describes(cloud.calls), 2);
  assert.deepEqual(coalescer.stats(), { calls: 2, requests: 51, failures: 0 });
});

test('a failed call fails every group it carried, never answering "none"', async () => {
  const { clock, cloud, limiter } = populated(3, 2);
  const coalescer = createDescribeCoalescer({ plugin: cloud, limiter, clock });
  cloud.describeFails = true;
  const signal = new AbortController().signal;
  const results = await Promise.allSettled(
    [0, 1, 2].map((g) => coalescer.describe({ [TAG_GROUP]: `g${g}` }, signal)),
  );
  assert.deepEqual(
    results.map((r) => r.status === 'rejected' && TendError.is(r.reason, 'unavailable')),
    [true, true, true],
  );
  assert.equal(coalescer.stats().failures, 1);
});

test('an aborted request leaves the others their answer; the call stops only when all gave up', async () => {
  const { clock, cloud, limiter } = populated(2, 2);
  const coalescer = createDescribeCoalescer({ plugin: cloud, limiter, clock });
  cloud.describeHangs = true;
  const first = new AbortController();
  const second = new AbortController();
  const a = coalescer.describe({ [TAG_GROUP]: 'g0' }, first.signal);
  const b = coalescer.describe({ [TAG_GROUP]: 'g1' }, second.signal);
  await turn();
  first.abort(new TendError('timeout', 'describe took too long'));
  await assert.rejects(a, (e) => TendError.is(e, 'timeout'));
  assert.equal(limiter.stats().inFlight, 1, 'the call goes on for the other group');
  second.abort(new TendError('timeout', 'describe took too long'));
  await assert.rejects(b, (e) => TendError.is(e, 'timeout'));
  await turn();
  assert.equal(limiter.stats().inFlight, 0, 'nobody waits for it any more: aborted');
});

test('50 group controllers on one plugin: one describe per tick round', async () => {
  const { clock, cloud, limiter } = populated(50, 2);
  const coalescer = createDescribeCoalescer({ plugin: cloud, limiter, clock });
  const controllers = groupsOn({ count: 50, size: 2, plugin: cloud, clock, limiter, describer: coalescer });
  await Promise.all(controllers.map((c) => c.tick()));
  // Their instances carry another config, so each group also rolls; the observation is what counts.
  assert.equal(describes(cloud.calls), 1);
  for (const [g, c] of controllers.entries()) {
    assert.equal(c.status().id, groupId(`g${g}`));
    assert.equal(c.status().observed >= 2, true, `g${g} saw its instances`);
  }
});

test('requests with mixed tags each get exactly what a call of their own would answer', async () => {
  const { clock, cloud, limiter } = populated(20, 3);
  cloud.instances.set('i-extra' as InstanceId, {
    id: 'i-extra' as InstanceId,
    tags: { [TAG_GROUP]: 'g1', 'tend.config': 'other' },
  });
  const coalescer = createDescribeCoalescer({ plugin: cloud, limiter, clock });
  const direct = directDescriber({ plugin: cloud, limiter, clock });
  const signal = new AbortController().signal;
  const asks = [
    ...Array.from({ length: 20 }, (_, g) => ({ [TAG_GROUP]: `g${g}` })),
    { [TAG_GROUP]: 'g1', 'tend.config': 'other' }, // same group, narrower
    { [TAG_GROUP]: 'g1' }, // the same group twice
    { [TAG_GROUP]: 'nobody' },
  ];
  const answers = await Promise.all(asks.map((tags) => coalescer.describe(tags, signal)));
  assert.equal(describes(cloud.calls), 1);
  for (const [i, tags] of asks.entries()) {
    assert.deepEqual(answers[i], await direct.describe(tags, signal), JSON.stringify(tags));
  }
  // A request without the tag the others share falls back to the plain filter.
  const mixed = [{ [TAG_GROUP]: 'g2' }, { owner: 'someone' }, { 'tend.config': 'other' }];
  const mixedAsked = Promise.all(mixed.map((tags) => coalescer.describe(tags, signal)));
  await clock.advance(200); // the next window
  const mixedAnswers = await mixedAsked;
  for (const [i, tags] of mixed.entries()) {
    assert.deepEqual(mixedAnswers[i], await direct.describe(tags, signal), JSON.stringify(tags));
  }
});

/**
 * 20 groups started 37 ms apart over 740 ms, on a plugin whose describe takes 120 ms; describe
 * calls counted over the 10 s that follow the first 5.
 */
async function describesOfStaggeredGroups(alignTicks: boolean): Promise<number> {
  const { clock, cloud, limiter } = populated(0, 0);
  const slow = {
    ...cloud,
    describeInstances: async (...args: Parameters<typeof cloud.describeInstances>) => {
      await clock.sleep(120);
      return cloud.describeInstances(...args);
    },
  };
  const coalescer = createDescribeCoalescer({
    plugin: slow,
    limiter,
    clock,
    ...(alignTicks ? { windowMs: 1_000, gatherMs: ALIGNED_GATHER_MS } : {}),
  });
  const stop = new AbortController();
  const controllers = groupsOn({
    count: 20,
    size: 0,
    plugin: slow,
    clock,
    limiter,
    describer: coalescer,
    alignTicks,
  });
  for (const c of controllers) {
    c.start(stop.signal);
    await clock.advance(37);
  }
  await clock.advance(5_000);
  const before = describes(cloud.calls);
  await clock.advance(10_000);
  const calls = describes(cloud.calls) - before;
  stop.abort();
  await clock.advance(1_000);
  await Promise.all(controllers.map((c) => c.stop()));
  return calls;
}

test('groups that tick in step make one describe call per tick interval, however their starts spread', async () => {
  assert.equal(await describesOfStaggeredGroups(true), 10);
  // Without: each group ticks a whole interval after its own tick ended, so their asks spread
  // over the interval and only the window merges them.
  assert.ok((await describesOfStaggeredGroups(false)) > 20);
});

/** Start times of the plugin's describe calls when each takes `costMs` of virtual time. */
async function callStarts(costMs: number): Promise<number[]> {
  const { clock, cloud, limiter } = populated(2, 1);
  const starts: number[] = [];
  const slow = {
    ...cloud,
    describeInstances: async (tags: Parameters<typeof cloud.describeInstances>[0]) => {
      starts.push(clock.now());
      await clock.sleep(costMs);
      return cloud.describeInstances(tags);
    },
  };
  const coalescer = createDescribeCoalescer({ plugin: slow, limiter, clock, windowMs: 200 });
  const signal = new AbortController().signal;
  // A group asks again as soon as it has its answer: the window alone spaces the calls.
  const asking = (async () => {
    for (let i = 0; i < 3; i++) await coalescer.describe({ [TAG_GROUP]: 'g0' }, signal);
  })();
  for (let t = 0; t < 40; t++) {
    await turn();
    await clock.advance(50);
  }
  await asking;
  const first = starts[0] ?? 0;
  return starts.map((s) => s - first);
}

test('the window grows to four times what a call costs, at most 500 ms', async () => {
  assert.deepEqual(await callStarts(10), [0, 200, 400], 'cheap calls: the 200 ms window');
  assert.deepEqual(await callStarts(100), [0, 400, 800], 'a 100 ms call: 400 ms between starts');
  assert.deepEqual(await callStarts(300), [0, 500, 1_000], 'capped at 500 ms');
});

test('a watch-woken (urgent) look goes at once, taking the waiting looks along; one early call per window', async () => {
  const { clock, cloud, limiter } = populated(3, 1);
  const coalescer = createDescribeCoalescer({ plugin: cloud, limiter, clock, windowMs: 200 });
  const signal = new AbortController().signal;
  await Promise.all([coalescer.describe({ [TAG_GROUP]: 'g0' }, signal), turn()]);
  const start = clock.now();
  const times: Record<string, number> = {};
  const look = (group: string, urgent: boolean) =>
    coalescer.describe({ [TAG_GROUP]: group }, signal, undefined, { urgent }).then(() => {
      times[group] = clock.now() - start;
    });
  const settle = async (steps: number) => {
    for (let t = 0; t < steps; t++) {
      await turn();
      await clock.advance(10);
    }
  };
  const regular = look('g1', false);
  await clock.advance(10);
  const urgent = look('g2', true);
  await settle(2);
  await Promise.all([regular, urgent]);
  assert.equal(times.g2, 10, 'the urgent look went at 10 ms, not at 200');
  assert.equal(times.g1, 10, 'and took the waiting one along');
  assert.equal(describes(cloud.calls), 2);
  // Another urgent look within the same window waits for it, like any other.
  const again = look('g0', true);
  await settle(30);
  await again;
  assert.equal(times.g0, 210, 'the window after the early call');
  assert.equal(describes(cloud.calls), 3);
});
