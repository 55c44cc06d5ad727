import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRandom, randomInt } from './random.js';

test('the same seed replays the same sequence', () => {
  const a = createRandom(42);
  const b = createRandom(42);
  const seqA = Array.from({ length: 20 }, () => a());
  const seqB = Array.from({ length: 20 }, () => b());
  assert.deepEqual(seqA, seqB);
  assert.notDeepEqual(seqA, Array.from({ length: 20 }, createRandom(43)));
});

test('values stay in [0, 1) and spread over the range', () => {
  const random = createRandom(7);
  let low = 0;
  for (let i = 0; i < 10_000; i++) {
    const v = random();
    assert.ok(v >= 0 && v < 1);
    if (v < 0.5) low++;
  }
  assert.ok(low > 4_500 && low < 5_500, `low half drew ${low} of 10000`);
});

test('randomInt covers both ends inclusively', () => {
  const random = createRandom(1);
  const seen = new Set<number>();
  for (let i = 0; i < 1_000; i++) seen.add(randomInt(random, 2, 4));
  assert.deepEqual([...seen].sort(), [2, 3, 4]);
});
