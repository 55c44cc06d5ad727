import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etagMatches, ReadCache } from './read-cache.js';

function counter() {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    compute: async () => ({ n: ++calls }),
  };
}

test('concurrent reads share one computation and the same bytes', async () => {
  let now = 0;
  const cache = new ReadCache({ maxAgeMs: 250, now: () => now });
  const c = counter();
  const [a, b] = await Promise.all([cache.get('k', c.compute), cache.get('k', c.compute)]);
  assert.equal(c.calls, 1);
  assert.equal(a, b);
  assert.equal(a?.json, '{"n":1}');
  now = 249;
  assert.equal((await cache.get('k', c.compute)).json, '{"n":1}');
  now = 250;
  assert.equal((await cache.get('k', c.compute)).json, '{"n":2}');
});

test('invalidate drops every answer at once, whatever its age', async () => {
  const cache = new ReadCache({ now: () => 0 });
  const c = counter();
  const first = await cache.get('k', c.compute);
  cache.invalidate();
  const second = await cache.get('k', c.compute);
  assert.equal(c.calls, 2);
  assert.notEqual(first.etag, second.etag);
});

test('a failed computation is not kept', async () => {
  const cache = new ReadCache({ now: () => 0 });
  await assert.rejects(cache.get('k', async () => Promise.reject(new Error('boom'))));
  assert.equal((await cache.get('k', async () => 'ok')).json, '"ok"');
});

test('If-None-Match matches the tag, its weak form, a list containing it, or *', () => {
  const tag = '"abc"';
  assert.equal(etagMatches(undefined, tag), false);
  assert.equal(etagMatches('"abd"', tag), false);
  for (const header of ['"abc"', 'W/"abc"', '"x", "abc"', '*']) assert.equal(etagMatches(header, tag), true);
});
