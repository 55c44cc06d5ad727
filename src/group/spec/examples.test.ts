import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseSpecDocument } from './parse-document.js';

// The specs in examples/ are what users copy first; each one must stay valid.
const examples = join(import.meta.dirname, '../../../examples');

test('every example spec parses', () => {
  const files = readdirSync(examples).filter((name) => name.endsWith('.yaml'));
  assert.ok(files.includes('process-group.yaml') && files.includes('simulator-group.yaml'));
  for (const file of files) {
    const specs = parseSpecDocument(readFileSync(join(examples, file), 'utf8'), { source: file });
    assert.ok(specs.length > 0, `${file} has no groups`);
  }
});

test('the default example: group hello, 3 processes, short grace', () => {
  const [hello] = parseSpecDocument(readFileSync(join(examples, 'process-group.yaml'), 'utf8'));
  assert.equal(hello?.id, 'hello');
  assert.deepEqual(hello?.allocation, { size: 3 });
  assert.equal(hello?.instance.plugin, 'process');
  assert.equal(hello?.flavor.plugin, 'vanilla');
  assert.equal(hello?.health.graceMs, 2000);
});
