import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { TendError } from '../spi/index.js';
import { JsonRpcClient } from './json-rpc-client.js';
import { JsonRpcDispatcher } from './json-rpc-dispatcher.js';
import { type JsonRpcServer, serveJsonRpc } from './json-rpc-server.js';

let dir: string;
let server: JsonRpcServer;
let socketPath: string;
before(async () => {
  dir = mkdtempSync('/tmp/tend-');
  socketPath = `${dir}/plug`;
  const dispatcher = new JsonRpcDispatcher();
  dispatcher.register('echo', async (params) => params);
  dispatcher.register('throttled', async () => {
    throw new TendError('throttled', 'rate exceeded, slow down');
  });
  dispatcher.register('strict', async (params) => z.object({ ID: z.string() }).parse(params));
  // Answers only when the caller goes away: the server aborts the handler's signal then.
  dispatcher.register(
    'hang',
    (_params, { signal }) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(null))),
  );
  server = await serveJsonRpc({ socketPath, dispatcher });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<TendError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof TendError, `expected a TendError, got ${String(error)}`);
  return error;
}

describe('JsonRpcClient', () => {
  test('a plugin TendError keeps its kind and message on the caller side', async () => {
    const client = new JsonRpcClient({ socketPath, pluginName: 'aws' });
    try {
      const error = await failure(client.call('throttled', {}));
      assert.equal(error.kind, 'throttled');
      assert.match(error.message, /^plugin aws: rate exceeded, slow down$/);
    } finally {
      client.close();
    }
  });

  test('invalid params and unknown methods are invalid_spec naming plugin and method', async () => {
    const client = new JsonRpcClient({ socketPath, pluginName: 'aws' });
    try {
      const bad = await failure(client.call('strict', { ID: 5 }));
      assert.equal(bad.kind, 'invalid_spec');
      assert.match(bad.message, /plugin aws: rejected strict: invalid params: params\.ID/);
      const unknown = await failure(client.call('Instance.Nope', {}));
      assert.equal(unknown.kind, 'invalid_spec');
      assert.match(unknown.message, /plugin aws: .*Instance\.Nope.*-32601/);
    } finally {
      client.close();
    }
  });

  test('no socket file: unavailable, "no one listening on" the path', async () => {
    const missing = `${dir}/missing`;
    const client = new JsonRpcClient({ socketPath: missing, pluginName: 'ghost' });
    try {
      const error = await failure(client.call('echo', {}));
      assert.equal(error.kind, 'unavailable');
      assert.equal(error.message, `plugin ghost: no one listening on ${missing}`);
    } finally {
      client.close();
    }
  });

  test('a stale socket file: unavailable, "no one listening on" the path', async () => {
    const stale = `${dir}/stale`;
    const other = await serveJsonRpc({ socketPath: `${dir}/tmp`, dispatcher: new JsonRpcDispatcher() });
    linkSync(other.socketPath, stale);
    await other.close();
    const client = new JsonRpcClient({ socketPath: stale, pluginName: 'ghost' });
    try {
      const error = await failure(client.call('echo', {}));
      assert.equal(error.kind, 'unavailable');
      assert.match(error.message, /no one listening on/);
    } finally {
      client.close();
      rmSync(stale, { force: true });
    }
  });

  test('a plugin that drops the connection mid-call: unavailable, "died during" the method', async () => {
    const dying = `${dir}/dying`;
    const brutal = createServer((req) => {
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    await new Promise<void>((resolve) => brutal.listen(dying, resolve));
    const client = new JsonRpcClient({ socketPath: dying, pluginName: 'fragile' });
    try {
      const error = await failure(client.call('Instance.Provision', {}));
      assert.equal(error.kind, 'unavailable');
      assert.match(error.message, /^plugin fragile died during Instance\.Provision/);
    } finally {
      client.close();
      await new Promise((resolve) => brutal.close(resolve));
    }
  });

  test('a reset on a pooled connection is sent once more on a fresh one', async () => {
    const flaky = `${dir}/flaky`;
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => {
        if (requests === 2) req.socket.destroy();
        else
          res
            .writeHead(200, { 'Content-Type': 'application/json' })
            .end('{"jsonrpc":"2.0","id":1,"result":"ok"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(flaky, resolve));
    const client = new JsonRpcClient({ socketPath: flaky, pluginName: 'flaky' });
    try {
      assert.equal(await client.call('echo', {}), 'ok');
      assert.equal(await client.call('echo', {}), 'ok');
      assert.equal(requests, 3);
    } finally {
      client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a non-JSON answer is internal, naming the plugin and the status', async () => {
    const odd = `${dir}/odd`;
    const teapot = createServer((req, res) => {
      req.resume();
      res.writeHead(418).end('short and stout');
    });
    await new Promise<void>((resolve) => teapot.listen(odd, resolve));
    const client = new JsonRpcClient({ socketPath: odd, pluginName: 'teapot' });
    try {
      const error = await failure(client.call('echo', {}));
      assert.equal(error.kind, 'internal');
      assert.match(error.message, /plugin teapot: answered echo with HTTP 418/);
    } finally {
      client.close();
      await new Promise((resolve) => teapot.close(resolve));
    }
  });

  test('a call past its timeout is kind timeout; an aborted call too', async () => {
    const client = new JsonRpcClient({ socketPath, pluginName: 'slowpoke', timeoutMs: 50 });
    try {
      const timedOut = await failure(client.call('hang', {}));
      assert.equal(timedOut.kind, 'timeout');
      assert.match(timedOut.message, /plugin slowpoke: hang timed out after 50 ms/);
      const controller = new AbortController();
      const call = client.call('hang', {}, { signal: controller.signal, timeoutMs: 60_000 });
      controller.abort();
      const aborted = await failure(call);
      assert.equal(aborted.kind, 'timeout');
      assert.match(aborted.message, /aborted/);
      // The connection pool is still usable afterwards (with room for a loaded machine).
      assert.deepEqual(await client.call('echo', { after: true }, { timeoutMs: 30_000 }), { after: true });
    } finally {
      client.close();
    }
  });

  test('concurrent calls each get their own answer', async () => {
    const client = new JsonRpcClient({ socketPath, pluginName: 'echo' });
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, n) => client.call('echo', { n })));
      assert.deepEqual(
        answers,
        Array.from({ length: 20 }, (_, n) => ({ n })),
      );
    } finally {
      client.close();
    }
  });
});
