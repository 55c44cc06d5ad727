import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';

test('parseDuration reads units, compounds, decimals and milliseconds', () => {
  const cases: Array<[unknown, number | undefined]> = [
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['0.1s', 100],
    [' 2s ', 2000],
    [0, 0],
    [250, 250],
    ['0.5ms', undefined],
    ['-1s', undefined],
    ['10', undefined],
    ['10d', undefined],
    ['s', undefined],
    ['', undefined],
    [-1, undefined],
    [1.5, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    ['99999999999999999999h', undefined],
    [null, undefined],
    [true, undefined],
  ];
  for (const [input, expected] of cases) assert.equal(parseDuration(input), expected, String(input));
});

test('formatDuration writes the shortest exact form that parses back', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [500, '500ms'],
    [1500, '1500ms'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [600_000, '10m'],
    [3_600_000, '1h'],
    [3_661_000, '1h1m1s'],
    [3_600_500, '3600500ms'],
  ];
  for (const [ms, text] of cases) {
    assert.equal(formatDuration(ms), text);
    assert.equal(parseDuration(text), ms);
  }
});
