import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchRoute } from './http-routes.js';

test('routes match exactly and capture the group ID', () => {
  const match = matchRoute('POST', '/v1/groups/web-1/scale');
  assert.equal(match.kind, 'found');
  assert.deepEqual(match.kind === 'found' ? match.params : undefined, { id: 'web-1' });
  assert.equal(matchRoute('GET', '/v1/status/').kind, 'not-found');
  assert.equal(matchRoute('GET', '/v1/statusx').kind, 'not-found');
  assert.equal(matchRoute('GET', '/v1/groups/web/history/x').kind, 'not-found');
});

test('path parameters cannot traverse', () => {
  for (const path of [
    '/v1/groups/../history',
    '/v1/groups/..%2F..%2Fetc/history',
    '/v1/groups/%2E%2E/history',
    '/v1/groups/a%2Fb',
    '/v1/groups/%00/history',
    '/v1/groups//history',
    '/v1/groups/%E0%A4%A/history',
  ]) {
    assert.equal(matchRoute('GET', path).kind, 'not-found', path);
  }
});

test('a known path with the wrong method says which methods it allows', () => {
  assert.deepEqual(matchRoute('DELETE', '/v1/apply'), { kind: 'method-not-allowed', allowed: ['POST'] });
});
