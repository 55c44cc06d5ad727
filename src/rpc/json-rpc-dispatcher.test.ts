import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { TendError } from '../spi/index.js';
import { JsonRpcDispatcher } from './json-rpc-dispatcher.js';

function dispatcher(): JsonRpcDispatcher {
  const d = new JsonRpcDispatcher();
  d.register('echo', async (params) => params);
  d.register('nothing', async () => undefined);
  d.register('typed', async (params) =>
    z.object({ Spec: z.object({ Tags: z.record(z.string(), z.string()) }) }).parse(params),
  );
  d.register('throttled', async () => {
    throw new TendError('throttled', 'rate exceeded');
  });
  d.register('bug', async () => {
    throw new Error('boom');
  });
  d.register('cycle', async () => {
    const value: Record<string, unknown> = {};
    value.self = value;
    return value;
  });
  return d;
}

async function call(body: string): Promise<unknown> {
  const answer = await dispatcher().handle(body);
  return answer === undefined ? undefined : JSON.parse(answer);
}

describe('JsonRpcDispatcher', () => {
  test('answers a request with its id and result', async () => {
    assert.deepEqual(await call('{"jsonrpc":"2.0","method":"echo","params":{"a":1},"id":7}'), {
      jsonrpc: '2.0',
      id: 7,
      result: { a: 1 },
    });
  });

  test('an undefined result becomes null, and missing params arrive as {}', async () => {
    assert.deepEqual(await call('{"jsonrpc":"2.0","method":"nothing","id":"x"}'), {
      jsonrpc: '2.0',
      id: 'x',
      result: null,
    });
    assert.deepEqual(await call('{"jsonrpc":"2.0","method":"echo","id":null}'), {
      jsonrpc: '2.0',
      id: null,
      result: {},
    });
  });

  test('a notification gets no answer, even when it fails', async () => {
    assert.equal(await call('{"jsonrpc":"2.0","method":"echo","params":{}}'), undefined);
    assert.equal(await call('{"jsonrpc":"2.0","method":"missing"}'), undefined);
  });

  test('malformed JSON is -32700 with id null', async () => {
    const answer = (await call('{"jsonrpc": "2.0", "method"')) as { id: unknown; error: { code: number } };
    assert.equal(answer.id, null);
    assert.equal(answer.error.code, -32700);
  });

  test('missing or wrong jsonrpc, missing method, bad id are -32600', async () => {
    for (const body of [
      '{"method":"echo","id":1}',
      '{"jsonrpc":"1.0","method":"echo","id":1}',
      '{"jsonrpc":"2.0","id":1}',
      '{"jsonrpc":"2.0","method":5,"id":1}',
      '{"jsonrpc":"2.0","method":"echo","id":{"a":1}}',
      '{"jsonrpc":"2.0","method":"echo","params":"text","id":1}',
      '42',
      'null',
    ]) {
      const answer = (await call(body)) as { error: { code: number; message: string } };
      assert.equal(answer.error.code, -32600, body);
      assert.match(answer.error.message, /^invalid request/);
    }
    const noJsonrpc = (await call('{"method":"echo","id":1}')) as { id: unknown; error: { message: string } };
    assert.equal(noJsonrpc.id, 1, 'a usable id is echoed even on an invalid request');
    assert.match(noJsonrpc.error.message, /jsonrpc/);
  });

  test('an unknown method is -32601 naming it', async () => {
    const answer = (await call('{"jsonrpc":"2.0","method":"Nope.Nope","id":1}')) as {
      error: { code: number; message: string };
    };
    assert.equal(answer.error.code, -32601);
    assert.match(answer.error.message, /Nope\.Nope/);
  });

  test('a zod failure is -32602 naming the field path', async () => {
    const answer = (await call(
      '{"jsonrpc":"2.0","method":"typed","params":{"Spec":{"Tags":{"role":5}}},"id":1}',
    )) as {
      error: { code: number; message: string };
    };
    assert.equal(answer.error.code, -32602);
    assert.match(answer.error.message, /params\.Spec\.Tags\.role/);
  });

  test('a TendError is -32000 with its kind in data', async () => {
    assert.deepEqual(await call('{"jsonrpc":"2.0","method":"throttled","id":1}'), {
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32000, message: 'rate exceeded', data: { kind: 'throttled' } },
    });
  });

  test('any other throw, or an unserializable result, is -32603', async () => {
    const bug = (await call('{"jsonrpc":"2.0","method":"bug","id":1}')) as {
      error: { code: number; message: string };
    };
    assert.equal(bug.error.code, -32603);
    assert.match(bug.error.message, /boom/);
    const cycle = (await call('{"jsonrpc":"2.0","method":"cycle","id":2}')) as {
      id: unknown;
      error: { code: number };
    };
    assert.equal(cycle.error.code, -32603);
    assert.equal(cycle.id, 2);
  });

  test('a batch answers each request in order and skips notifications', async () => {
    const answer = await call(
      JSON.stringify([
        { jsonrpc: '2.0', method: 'echo', params: { n: 1 }, id: 1 },
        { jsonrpc: '2.0', method: 'echo', params: { n: 2 } },
        { jsonrpc: '2.0', method: 'missing', id: 3 },
        5,
      ]),
    );
    assert.deepEqual(answer, [
      { jsonrpc: '2.0', id: 1, result: { n: 1 } },
      { jsonrpc: '2.0', id: 3, error: { code: -32601, message: 'method not found: missing' } },
      {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'invalid request: expected object, received number' },
      },
    ]);
  });

  test('an empty batch is one -32600; a batch of notifications gets no answer', async () => {
    const empty = (await call('[]')) as { error: { code: number } };
    assert.equal(Array.isArray(empty), false);
    assert.equal(empty.error.code, -32600);
    assert.equal(await call('[{"jsonrpc":"2.0","method":"echo"}]'), undefined);
  });

  test('a batch over the length limit is refused whole, naming the limit, and runs nothing', async () => {
    const d = new JsonRpcDispatcher({ maxBatchLength: 3 });
    let ran = 0;
    d.register('count', async () => ++ran);
    const batch = Array.from({ length: 4 }, (_, id) => ({ jsonrpc: '2.0', method: 'count', id }));
    const answer = JSON.parse((await d.handle(JSON.stringify(batch))) ?? 'null') as {
      error: { code: number; message: string };
    };
    assert.equal(answer.error.code, -32600);
    assert.match(answer.error.message, /batch of 4 calls exceeds the limit of 3/);
    assert.equal(ran, 0);
    assert.equal((JSON.parse((await d.handle(JSON.stringify(batch.slice(0, 3)))) ?? '[]') as []).length, 3);
  });

  test('calls of a batch run at most batchConcurrency at a time, answered in order', async () => {
    const d = new JsonRpcDispatcher({ batchConcurrency: 2 });
    let running = 0;
    let most = 0;
    d.register('slow', async (params) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return params;
    });
    const batch = Array.from({ length: 9 }, (_, id) => ({
      jsonrpc: '2.0',
      method: 'slow',
      params: [id],
      id,
    }));
    const answer = JSON.parse((await d.handle(JSON.stringify(batch))) ?? '[]') as Array<{ result: number[] }>;
    assert.deepEqual(
      answer.map((a) => a.result[0]),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.equal(most, 2);
  });

  test('handlers see the signal they were given', async () => {
    const d = new JsonRpcDispatcher();
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    d.register('look', async (_params, context) => {
      seen = context.signal;
      return true;
    });
    await d.handle('{"jsonrpc":"2.0","method":"look","id":1}', { signal: controller.signal });
    assert.equal(seen, controller.signal);
  });

  test('registering a method twice is a conflict', () => {
    const d = new JsonRpcDispatcher();
    d.register('a', async () => 1);
    assert.throws(
      () => d.register('a', async () => 2),
      (e: unknown) => TendError.is(e, 'conflict'),
    );
  });
});
