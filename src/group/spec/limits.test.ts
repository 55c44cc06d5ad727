import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TendError } from '../../spi/index.js';
import { DEFAULT_MAX_GROUP_SIZE } from './limits.js';
import { parseSpecDocument } from './parse-document.js';

const group = (allocation: string) =>
  `{ id: web, allocation: ${allocation}, instance: { plugin: simulator }, flavor: { plugin: vanilla } }`;

function problems(text: string, maxGroupSize = DEFAULT_MAX_GROUP_SIZE): string[] {
  try {
    parseSpecDocument(text, { maxGroupSize, source: 'web.yaml' });
  } catch (error) {
    assert.ok(TendError.is(error, 'invalid_spec'), String(error));
    return (error.details.problems as Array<{ path: string; message: string }>).map(
      (p) => `${p.path}: ${p.message}`,
    );
  }
  return [];
}

test('a size above the ceiling is refused naming the field and the limit', () => {
  assert.equal(DEFAULT_MAX_GROUP_SIZE, 10_000);
  assert.deepEqual(problems(group('{ size: 100000000 }')), [
    "allocation.size: expected a whole number ≤ 10000 (this manager's limit, tend up --max-group-size), got 100000000",
  ]);
  assert.deepEqual(
    problems(`groups: [${group('{ size: 3 }')}, ${group('{ size: 10001 }').replace('web', 'api')}]`),
    [
      "groups[1].allocation.size: expected a whole number ≤ 10000 (this manager's limit, tend up --max-group-size), got 10001",
    ],
  );
  assert.deepEqual(problems(group('{ size: 10000 }')), [], 'the limit itself is allowed');
  assert.deepEqual(problems(group('{ size: 50 }'), 20), [
    "allocation.size: expected a whole number ≤ 20 (this manager's limit, tend up --max-group-size), got 50",
  ]);
});

test('so is a list of logical IDs longer than the ceiling, in both shapes', () => {
  assert.deepEqual(problems(group('{ logicalIds: [a, b, c] }'), 2), [
    "allocation.logicalIds: expected at most 2 logical IDs (this manager's limit, tend up --max-group-size), got 3",
  ]);
  const infrakit = JSON.stringify({
    ID: 'web',
    Properties: { Allocation: { Size: 7 }, Instance: { Plugin: 'simulator' }, Flavor: { Plugin: 'vanilla' } },
  });
  assert.deepEqual(problems(infrakit, 5), [
    "Properties.Allocation.Size: expected a whole number ≤ 5 (this manager's limit, tend up --max-group-size), got 7",
  ]);
});

test('without a ceiling (stored specs are read back as they are) any size parses', () => {
  assert.deepEqual(parseSpecDocument(group('{ size: 100000000 }'))[0]?.allocation, { size: 100_000_000 });
});
