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

test("a group's change drops its answers and the fleet-wide ones, not the other groups'", async () => {
  const cache = new ReadCache({ now: () => 0 });
  const c = counter();
  await cache.get('status', c.compute);
  await cache.get('group:a', c.compute, 'a');
  await cache.get('group:b', c.compute, 'b');
  assert.equal(c.calls, 3);
  cache.invalidate('a');
  await cache.get('group:b', c.compute, 'b');
  assert.equal(c.calls, 3, "b's answer is kept");
  await cache.get('group:a', c.compute, 'a');
  await cache.get('status', c.compute);
  assert.equal(c.calls, 5, "a's answer and the status are computed again");
  cache.invalidate();
  await cache.get('group:b', c.compute, 'b');
  assert.equal(c.calls, 6, 'without a group, everything goes');
});

test('past its key limit the cache drops its oldest answers one by one, not all of them', async () => {
  const cache = new ReadCache({ now: () => 0 });
  const c = counter();
  for (let i = 0; i < 5_000; i++) await cache.get(`group:g${i}`, c.compute, `g${i}`);
  assert.equal(cache.size, 4_096);
  await cache.get('group:g4999', c.compute, 'g4999');
  assert.equal(c.calls, 5_000, 'the newest answers are still there');
  await cache.get('group:g0', c.compute, 'g0');
  assert.equal(c.calls, 5_001, 'the oldest one went');
  assert.equal(cache.size, 4_096);
  cache.invalidate('g4999');
  assert.equal(cache.size, 4_095);
});
