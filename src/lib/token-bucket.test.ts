import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from './clock.js';
import { createTokenBucket } from './token-bucket.js';

test('a full bucket grants a burst at once, then paces at the rate', async () => {
  const clock = new VirtualClock();
  const bucket = createTokenBucket({ ratePerSec: 10, burst: 3, clock });
  const grantedAt: number[] = [];
  const all = Array.from({ length: 6 }, () => bucket.take().then(() => grantedAt.push(clock.now())));
  await clock.advance(0); // lets the immediate grants record their time before the clock moves
  await clock.advance(1_000);
  await Promise.all(all);
  assert.deepEqual(grantedAt, [0, 0, 0, 100, 200, 300]);
});

test('tryTake refuses when empty and refills with time', async () => {
  const clock = new VirtualClock();
  const bucket = createTokenBucket({ ratePerSec: 2, burst: 1, clock });
  assert.equal(bucket.tryTake(), true);
  assert.equal(bucket.tryTake(), false);
  await clock.advance(500);
  assert.equal(bucket.tryTake(), true);
});

test('an aborted wait gives its reservation back', async () => {
  const clock = new VirtualClock();
  const bucket = createTokenBucket({ ratePerSec: 1, burst: 1, clock });
  await bucket.take();
  const controller = new AbortController();
  const waiting = bucket.take(controller.signal);
  controller.abort(new Error('stop'));
  await assert.rejects(waiting, /stop/);
  await clock.advance(1_000);
  assert.equal(bucket.tryTake(), true);
});

test('setRate changes the pace of later takes', async () => {
  const clock = new VirtualClock();
  const bucket = createTokenBucket({ ratePerSec: 1, burst: 1, clock });
  await bucket.take();
  bucket.setRate(100);
  assert.equal(bucket.ratePerSec, 100);
  const next = bucket.take();
  await clock.advance(10);
  await next;
  assert.equal(clock.now(), 10);
  assert.throws(() => bucket.setRate(0), RangeError);
});
