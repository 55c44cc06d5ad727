import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TendError } from '../../spi/index.js';
import { parseDuration } from './flags.js';

test('a duration flag takes the spec grammar, compounds included, and bare milliseconds', () => {
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('250'), 250);
  assert.equal(parseDuration(' 10m '), 600_000);
});

test('a bad duration flag is an error naming the flag and the value', () => {
  for (const bad of ['', 'soon', '-5s', '10d', '0.5ms']) {
    assert.throws(
      () => parseDuration(bad, '--wait'),
      (e: unknown) =>
        TendError.is(e, 'invalid_spec') && e.message.includes('--wait') && e.message.includes(bad),
    );
  }
});
