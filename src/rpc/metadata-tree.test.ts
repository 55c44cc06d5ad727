import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JsonValue } from '../spi/index.js';
import { cleanMetadataPath, jsonAt, type MetadataNode, metadataFromTree } from './metadata-tree.js';

const value = (json: JsonValue): MetadataNode => ({ value: async () => json });

test("paths follow InfraKit's rules: empty and dot segments dropped, name[i] split, negative index", () => {
  assert.deepEqual(cleanMetadataPath(['', '.', 'groups', 'web', 'Instances[1]', 'ID']), [
    'groups',
    'web',
    'Instances',
    '[1]',
    'ID',
  ]);
  const json = { Instances: [{ ID: 'a' }, { ID: 'b' }] };
  assert.equal(jsonAt(json, ['Instances', '[1]', 'ID']), 'b');
  assert.equal(jsonAt(json, ['Instances', '[-1]', 'ID']), 'b');
  assert.equal(jsonAt(json, ['Instances', '[5]']), undefined);
  assert.equal(jsonAt(json, ['Instances', 'ID']), undefined);
  assert.equal(jsonAt(json, ['toString']), undefined);
});

test('a tree lists branches without reading their values, and browses into values', async () => {
  const reads: string[] = [];
  const read = (name: string, json: JsonValue): MetadataNode => ({
    value: async () => {
      reads.push(name);
      return json;
    },
  });
  const groups: MetadataNode = {
    children: async () => ({
      web: read('web', { Converged: true, Instances: [{ ID: 'i-1' }] }),
      db: read('db', { Converged: false, Instances: [] }),
    }),
  };
  const metadata = metadataFromTree({ children: async () => ({ leader: value(true), groups }) });
  assert.deepEqual(await metadata.list([]), ['groups', 'leader']);
  assert.deepEqual(await metadata.list(['.']), ['groups', 'leader']);
  assert.deepEqual(await metadata.list(['groups']), ['db', 'web']);
  assert.deepEqual(reads, []);
  assert.deepEqual(await metadata.list(['groups', 'web']), ['Converged', 'Instances']);
  assert.deepEqual(await metadata.list(['groups', 'web', 'Instances']), ['[0]']);
  assert.deepEqual(await metadata.list(['groups', 'web', 'Converged']), []);
  assert.equal(await metadata.list(['groups', 'nope']), undefined);
  assert.equal(await metadata.list(['nope', 'deeper']), undefined);
  assert.equal(await metadata.get(['groups', 'web', 'Instances', '[0]', 'ID']), 'i-1');
  assert.equal(await metadata.get(['leader']), true);
  assert.deepEqual(await metadata.get(['groups']), {
    web: { Converged: true, Instances: [{ ID: 'i-1' }] },
    db: { Converged: false, Instances: [] },
  });
  assert.equal(await metadata.get(['leader', 'x']), undefined);
});
