import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffDocuments } from './spec-diff.js';

test('diffDocuments names each changed leaf with its old and new value', () => {
  const from = {
    id: 'hello',
    allocation: { size: 2 },
    instance: { plugin: 'process', properties: { env: { GREETING: 'hello', OLD: 'x' } } },
    flavor: { plugin: 'vanilla', properties: { init: ['echo $GREETING', 'sleep 1'] } },
    health: { grace: '2s' },
  };
  const to = {
    id: 'hello',
    allocation: { size: 3 },
    instance: { plugin: 'process', properties: { env: { GREETING: 'bonjour', 'NEW KEY': 'y' } } },
    flavor: { plugin: 'vanilla', properties: { init: ['echo $GREETING'] } },
    health: { grace: '2s' },
  };
  assert.deepEqual(diffDocuments(from, to), [
    { path: 'allocation.size', from: 2, to: 3 },
    { path: 'instance.properties.env.GREETING', from: 'hello', to: 'bonjour' },
    { path: 'instance.properties.env["NEW KEY"]', to: 'y' },
    { path: 'instance.properties.env.OLD', from: 'x' },
    { path: 'flavor.properties.init[1]', from: 'sleep 1' },
  ]);
  assert.deepEqual(diffDocuments(from, from), []);
  assert.deepEqual(diffDocuments({ a: { b: 1 } }, { a: [1] }), [{ path: 'a', from: { b: 1 }, to: [1] }]);
});
