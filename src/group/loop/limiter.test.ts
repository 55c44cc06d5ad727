import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { VirtualClock } from '../../lib/index.js';
import { TendError } from '../../spi/index.js';
import { createPluginLimiter } from './limiter.js';

test('calls are paced by the token bucket', async () => {
  const clock = new VirtualClock();
  const limiter = createPluginLimiter({ ratePerSec: 10, burst: 2, concurrency: 100, clock });
  const at: number[] = [];
  const runs = Array.from({ length: 5 }, () => limiter.run(async () => at.push(clock.now())));
  await clock.advance(0);
  await clock.advance(1_000);
  await Promise.all(runs);
  assert.deepEqual(at, [0, 0, 100, 200, 300]);
});

test('no more than `concurrency` calls run at once', async () => {
  const clock = new VirtualClock();
  const limiter = createPluginLimiter({ ratePerSec: 1_000, burst: 1_000, concurrency: 2, clock });
  let running = 0;
  let peak = 0;
  const call = async () => {
    running += 1;
    peak = Math.max(peak, running);
    await clock.sleep(10);
    running -= 1;
  };
  const runs = Array.from({ length: 6 }, () => limiter.run(call));
  for (let i = 0; i < 5; i++) await clock.advance(10);
  await Promise.all(runs);
  assert.equal(peak, 2);
  assert.equal(limiter.stats().calls, 6);
});

test('throttled answers cut the rate down to the floor; successes add back slowly', async () => {
  const clock = new VirtualClock();
  const limiter = createPluginLimiter({
    ratePerSec: 100,
    burst: 100,
    concurrency: 10,
    clock,
    minRatePerSec: 20,
    increasePerSuccess: 1,
  });
  const throttle = () => limiter.run(() => Promise.reject(new TendError('throttled', 'slow down')));
  await assert.rejects(throttle(), (e) => TendError.is(e, 'throttled'));
  assert.equal(limiter.stats().ratePerSec, 70);
  await assert.rejects(throttle());
  assert.equal(limiter.stats().ratePerSec, 70, 'the same congestion, reported twice, cuts once');
  for (let i = 0; i < 6; i++) {
    await clock.advance(1_000);
    await assert.rejects(throttle());
  }
  assert.equal(limiter.stats().ratePerSec, 20, 'never below the floor');
  await limiter.run(async () => 'ok');
  assert.equal(limiter.stats().ratePerSec, 21);
  assert.equal(limiter.stats().throttled, 8);
});

test('other failures leave the rate alone', async () => {
  const limiter = createPluginLimiter({
    ratePerSec: 100,
    burst: 10,
    concurrency: 1,
    clock: new VirtualClock(),
  });
  await assert.rejects(limiter.run(() => Promise.reject(new TendError('unavailable', 'down'))));
  assert.equal(limiter.stats().ratePerSec, 100);
  assert.equal(limiter.stats().inFlight, 0, 'the slot is released after a failure');
});

test('an abort rejects queued calls at once and frees nothing it did not take', async () => {
  const clock = new VirtualClock();
  const limiter = createPluginLimiter({ ratePerSec: 1, burst: 1, concurrency: 1, clock });
  const first = limiter.run(() => clock.sleep(1_000));
  const controller = new AbortController();
  const queued = limiter.run(async () => 'never', controller.signal);
  controller.abort(new TendError('not_leader', 'leadership lost'));
  await assert.rejects(queued, (e) => TendError.is(e, 'not_leader'));
  await clock.advance(1_000);
  await first;
  assert.deepEqual(
    { inFlight: limiter.stats().inFlight, queued: limiter.stats().queued },
    { inFlight: 0, queued: 0 },
  );
});

test('describes are not starved by a queue of provisions: observe, then heal, then change', async () => {
  const clock = new VirtualClock();
  const limiter = createPluginLimiter({ ratePerSec: 10, burst: 2, concurrency: 2, clock });
  const order: string[] = [];
  const call = (name: string, ms: number) => async () => {
    order.push(name);
    await clock.sleep(ms);
  };
  // Two long provisions hold every slot; twenty more queue behind them.
  const runs = [limiter.run(call('p0', 5_000)), limiter.run(call('p1', 5_000))];
  for (let i = 2; i < 22; i++) runs.push(limiter.run(call(`p${i}`, 10)));
  runs.push(limiter.run(call('heal', 10), undefined, 'heal'));
  runs.push(limiter.run(call('describe', 10), undefined, 'observe'));
  await clock.advance(100);
  // The describe ran on the next token, in the slot kept for observation, with both slots busy.
  assert.deepEqual(order, ['p0', 'p1', 'describe']);
  assert.equal(limiter.stats().queuedByLane.change, 20);
  await clock.advance(5_000);
  assert.equal(order[3], 'heal', 'remediation before the queued rollout/scale calls');
  for (let i = 0; i < 30; i++) await clock.advance(1_000);
  await Promise.all(runs);
  assert.deepEqual(limiter.stats().callsByLane, { observe: 1, heal: 1, change: 22 });
});

test('mutating calls never use the slot kept for observation', async () => {
  const clock = new VirtualClock();
  const limiter = createPluginLimiter({ ratePerSec: 1_000, burst: 1_000, concurrency: 2, clock });
  let peak = 0;
  let running = 0;
  const call = async () => {
    running += 1;
    peak = Math.max(peak, running);
    await clock.sleep(10);
    running -= 1;
  };
  const runs = Array.from({ length: 6 }, (_, i) =>
    limiter.run(call, undefined, i % 2 === 0 ? 'heal' : 'change'),
  );
  for (let i = 0; i < 5; i++) await clock.advance(10);
  await Promise.all(runs);
  assert.equal(peak, 2);
});

test('one abort listener per signal, however many calls wait under it, and none once they ran', async () => {
  const clock = new VirtualClock();
  const limiter = createPluginLimiter({ ratePerSec: 1_000, burst: 1, concurrency: 1, clock });
  const controller = new AbortController();
  const ran: number[] = [];
  const runs = Array.from({ length: 1_000 }, (_, i) =>
    limiter.run(async () => ran.push(i), controller.signal),
  );
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
  for (let i = 0; i < 1_000 && ran.length < 1_000; i++) await clock.advance(1);
  await Promise.all(runs);
  assert.deepEqual(
    ran,
    Array.from({ length: 1_000 }, (_, i) => i),
    'first come, first served',
  );
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});

test('an abort takes its calls out of the middle of a lane and leaves the others in order', async () => {
  const clock = new VirtualClock();
  const limiter = createPluginLimiter({ ratePerSec: 1_000, burst: 1, concurrency: 1, clock });
  const doomed = new AbortController();
  const kept = new AbortController();
  const ran: string[] = [];
  const settled: Promise<PromiseSettledResult<unknown>>[] = [];
  for (let i = 0; i < 10; i++) {
    const signal = i % 2 === 0 ? kept.signal : doomed.signal;
    const run = limiter.run(async () => ran.push(`c${i}`), signal);
    settled.push(
      run.then(
        (value) => ({ status: 'fulfilled', value }),
        (reason: unknown) => ({ status: 'rejected', reason }),
      ),
    );
  }
  // c0 took the one token at once; the other nine wait.
  assert.equal(limiter.stats().queued, 9);
  doomed.abort(new TendError('not_leader', 'leadership lost'));
  assert.equal(limiter.stats().queued, 4, 'the five aborted calls left the queue at once');
  for (let i = 0; i < 10; i++) await clock.advance(1);
  const outcomes = await Promise.all(settled);
  assert.deepEqual(ran, ['c0', 'c2', 'c4', 'c6', 'c8']);
  assert.equal(outcomes.filter((o) => o.status === 'rejected').length, 5);
  assert.equal(getEventListeners(kept.signal, 'abort').length, 0);
  assert.deepEqual(
    { inFlight: limiter.stats().inFlight, queued: limiter.stats().queued },
    { inFlight: 0, queued: 0 },
  );
});
