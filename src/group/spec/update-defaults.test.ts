import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSpecDocument } from './parse-document.js';

function updateOf(allocation: string, update = ''): { maxSurge: number; maxUnavailable: number } {
  const text = `id: g\nallocation: ${allocation}\ninstance: { plugin: process }\nflavor: { plugin: vanilla }\n${update}`;
  const [spec] = parseSpecDocument(text);
  assert.ok(spec);
  return { maxSurge: spec.update.maxSurge, maxUnavailable: spec.update.maxUnavailable };
}

test('size groups surge first by default: never below size during a rollout', () => {
  assert.deepEqual(updateOf('{ size: 3 }'), { maxSurge: 1, maxUnavailable: 0 });
});

test('logical-ID groups replace in place by default: one member down, no second instance of an ID', () => {
  assert.deepEqual(updateOf('{ logicalIds: [a, b, c] }'), { maxSurge: 0, maxUnavailable: 1 });
});

test('an explicit update policy wins for logical-ID groups', () => {
  assert.deepEqual(updateOf('{ logicalIds: [a, b] }', 'update: { maxSurge: 1 }\n'), {
    maxSurge: 1,
    maxUnavailable: 0,
  });
});
