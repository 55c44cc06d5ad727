import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, configHash } from './config-hash.js';
import { parseSpecDocument } from './parse-document.js';

const base = `
id: w
allocation: { size: 3 }
instance: { plugin: docker, properties: { image: app:1, env: { A: "1", B: "2" } } }
flavor: { plugin: vanilla, properties: { init: [echo hi] } }
`;

function hashOf(text: string): string {
  const [spec] = parseSpecDocument(text);
  assert.ok(spec);
  return configHash(spec);
}

test('config hash is 12 hex characters and stable across runs', () => {
  const hash = hashOf(base);
  assert.match(hash, /^[0-9a-f]{12}$/);
  // Pinned: running instances carry this value as a tag, so it must not drift between releases
  // (a drift would roll every group on upgrade).
  assert.equal(hash, 'f53f3e62cb5d');
  assert.equal(
    configHash({ instance: { plugin: 'p' }, flavor: { plugin: 'f' } }),
    hashOf('id: x\nallocation: {size: 1}\ninstance: {plugin: p}\nflavor: {plugin: f}'),
  );
});

test('key order in the input does not change the hash', () => {
  const reordered = `
flavor: { properties: { init: [echo hi] }, plugin: vanilla }
instance: { properties: { env: { B: "2", A: "1" }, image: app:1 }, plugin: docker }
allocation: { size: 3 }
id: w
`;
  assert.equal(hashOf(reordered), hashOf(base));
});

test('size, logical IDs, group ID and policies never change the hash', () => {
  const changed = base
    .replace('size: 3', 'logicalIds: [a, b]')
    .replace('id: w', 'id: other')
    .concat('health: { grace: 1s }\nupdate: { maxSurge: 3 }\nscaleIn: { order: newest }\n');
  assert.equal(hashOf(changed), hashOf(base));
});

test('instance or flavor changes do change the hash', () => {
  const hashes = new Set([
    hashOf(base),
    hashOf(base.replace('app:1', 'app:2')),
    hashOf(base.replace('echo hi', 'echo bye')),
    hashOf(base.replace('plugin: docker', 'plugin: process')),
    hashOf(base.replace('plugin: vanilla', 'plugin: combo')),
    hashOf(base.replace('[echo hi]', '[echo hi, echo again]')),
  ]);
  assert.equal(hashes.size, 6);
});

test('absent properties hash like null', () => {
  assert.equal(
    configHash({ instance: { plugin: 'p' }, flavor: { plugin: 'f' } }),
    configHash({ instance: { plugin: 'p', properties: null }, flavor: { plugin: 'f', properties: null } }),
  );
});

test('canonicalJson sorts keys at every level and keeps array order', () => {
  assert.equal(canonicalJson({ b: [{ z: 1, a: 2 }, 3], a: null }), '{"a":null,"b":[{"a":2,"z":1},3]}');
});
