import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonRpcDispatcher } from './json-rpc-dispatcher.js';
import { unsafeNumericIdText, withIdText } from './raw-id.js';

test('the top-level id is found past params, nested ids and strings that look like keys', () => {
  const body =
    '{"jsonrpc":"2.0","method":"id","params":{"id":1,"s":"\\"id\\":2","a":[{"id":3}]},"id":8807165085846269164}';
  assert.equal(unsafeNumericIdText(body), '8807165085846269164');
  assert.equal(unsafeNumericIdText('{"id" : 5577006791947779410 , "jsonrpc":"2.0"}'), '5577006791947779410');
});

test('ids that JSON.parse keeps exactly, and non-numeric ids, are left alone', () => {
  assert.equal(unsafeNumericIdText('{"jsonrpc":"2.0","method":"m","id":42}'), undefined);
  assert.equal(unsafeNumericIdText('{"jsonrpc":"2.0","method":"m","id":"8807165085846269164"}'), undefined);
  assert.equal(
    unsafeNumericIdText('{"jsonrpc":"2.0","method":"m","params":{"id":8807165085846269164}}'),
    undefined,
  );
});

test('withIdText replaces only the leading rounded id', () => {
  const rounded = Number('8807165085846269164');
  const out = withIdText(
    `{"jsonrpc":"2.0","id":${rounded},"result":{"n":${rounded}}}`,
    rounded,
    '8807165085846269164',
  );
  assert.equal(out, `{"jsonrpc":"2.0","id":8807165085846269164,"result":{"n":${rounded}}}`);
});

test('the dispatcher answers a Go client id above 2^53 with the digits it was sent', async () => {
  const dispatcher = new JsonRpcDispatcher();
  dispatcher.register('Manager.IsLeader', async () => ({ Leader: true }));
  const answer = await dispatcher.handle(
    '{"jsonrpc":"2.0","method":"Manager.IsLeader","params":{},"id":8807165085846269164}',
  );
  assert.equal(answer, '{"jsonrpc":"2.0","id":8807165085846269164,"result":{"Leader":true}}');
  const failed = await dispatcher.handle(
    '{"jsonrpc":"2.0","method":"Nope","params":{},"id":4037200794235010051}',
  );
  assert.match(String(failed), /^\{"jsonrpc":"2\.0","id":4037200794235010051,"error":/);
});
