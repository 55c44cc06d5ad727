import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tags } from '../../spi/index.js';
import { kit } from '../testing/controller-test-kit.js';
import type { Describer } from './describe-coalescer.js';
import { createLoopBusy, restAfterTick } from './rest.js';

test('the rest keeps rounds an interval apart while the loop has room', () => {
  assert.equal(restAfterTick(1_000, 0, 0), 1_000);
  assert.equal(restAfterTick(1_000, 300, 0), 700);
  assert.equal(restAfterTick(1_000, 300, 0.5), 700, 'half busy: still the whole period');
  assert.equal(Math.round(restAfterTick(1_000, 900, 0.55)), 100, 'a little over half busy: a little rest');
});

test('a busy loop rests at least its share of the interval, so ticks never run back to back', () => {
  assert.equal(restAfterTick(1_000, 300, 0.9), 800);
  assert.equal(restAfterTick(1_000, 2_500, 0.75), 500, 'a tick longer than the interval still rests');
  assert.equal(restAfterTick(1_000, 2_500, 0.4), 0, 'unless the loop has room');
  assert.equal(restAfterTick(1_000, 2_500, 1), 1_000);
  assert.equal(restAfterTick(1_000, 2_500, 0), 0, 'an idle loop: the next round is already due');
  assert.equal(restAfterTick(1_000, -5, 7), 1_000, 'out-of-range inputs are clamped');
});

test("the process's loop measure stays within 0 and 1", () => {
  const busy = createLoopBusy();
  const value = busy();
  assert.ok(value >= 0 && value <= 1, `got ${value}`);
});

/** Tick start times of a controller whose describe takes 300 ms of virtual time. */
async function tickStarts(loopBusy: number): Promise<number[]> {
  const { make, cloud, clock } = kit();
  const slowDescriber: Describer = {
    async describe(tags, signal) {
      await clock.sleep(300, signal);
      return cloud.describeInstances(tags as Tags);
    },
  };
  const starts: number[] = [];
  const controller = make({
    describer: slowDescriber,
    loopBusy: () => loopBusy,
    observer: { tickStarted: () => starts.push(clock.now()) },
  });
  controller.start(new AbortController().signal);
  for (let i = 0; i < 40; i++) await clock.advance(100);
  await controller.stop();
  const first = starts[0] ?? 0;
  return starts.map((t) => t - first);
}

test('a tick that waits 300 ms for its describe does not stretch the 1 s period', async () => {
  assert.deepEqual((await tickStarts(0)).slice(0, 4), [0, 1_000, 2_000, 3_000]);
});

test('on a busy loop the period stretches by the tick: rest of 800 ms after a 300 ms tick', async () => {
  assert.deepEqual((await tickStarts(0.9)).slice(0, 4), [0, 1_100, 2_200, 3_300]);
});
