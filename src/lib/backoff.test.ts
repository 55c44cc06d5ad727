import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, createBackoff } from './backoff.js';
import { createRandom } from './random.js';

test('delays grow exponentially under the cap', () => {
  const top = () => 0.999_999;
  const delays = [0, 1, 2, 3, 10].map((a) => backoffDelay(a, { baseMs: 100, capMs: 1_000, random: top }));
  assert.deepEqual(delays, [99, 199, 399, 799, 999]);
});

test('full jitter draws from zero up to the ceiling', () => {
  assert.equal(backoffDelay(5, { baseMs: 100, capMs: 10_000, random: () => 0 }), 0);
  const random = createRandom(3);
  for (let i = 0; i < 1_000; i++) {
    const d = backoffDelay(4, { baseMs: 100, capMs: 1_000, random });
    assert.ok(d >= 0 && d < 1_000);
  }
});

test('huge attempt counts neither overflow nor exceed the cap', () => {
  assert.equal(backoffDelay(10_000, { baseMs: 100, capMs: 5_000, random: () => 0.5 }), 2_500);
});

test('createBackoff counts failures and resets on success', () => {
  const backoff = createBackoff({ baseMs: 10, capMs: 1_000, random: () => 0.999 });
  assert.equal(backoff.next(), 9);
  assert.equal(backoff.next(), 19);
  assert.equal(backoff.attempts, 2);
  backoff.reset();
  assert.equal(backoff.attempts, 0);
  assert.equal(backoff.next(), 9);
});
