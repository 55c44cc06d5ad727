import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { TendError } from '../spi/index.js';
import { JsonRpcClient } from './json-rpc-client.js';
import { JsonRpcDispatcher } from './json-rpc-dispatcher.js';
import { serveJsonRpc } from './json-rpc-server.js';

let dir: string;
before(() => {
  dir = mkdtempSync('/tmp/tend-');
});
after(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
const nextPath = () => `${dir}/s${counter++}`;

function echoDispatcher(): JsonRpcDispatcher {
  const d = new JsonRpcDispatcher();
  d.register('echo', async (params) => params);
  return d;
}

/** A raw HTTP POST, so tests can send what a well-behaved client never would. */
function rawPost(socketPath: string, body: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path: '/', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('serveJsonRpc', () => {
  test('serves POST / and the socket is mode 0600', async () => {
    const socketPath = nextPath();
    const server = await serveJsonRpc({ socketPath, dispatcher: echoDispatcher() });
    const client = new JsonRpcClient({ socketPath, pluginName: 'echo' });
    try {
      assert.equal(statSync(socketPath).mode & 0o777, 0o600);
      assert.deepEqual(await client.call('echo', { a: [1, 'b'] }), { a: [1, 'b'] });
      assert.deepEqual(await client.call('echo', { again: true }), { again: true });
    } finally {
      client.close();
      await server.close();
    }
  });

  test('malformed JSON is -32700; a notification is answered 204 with no body; GET is 405', async () => {
    const socketPath = nextPath();
    const server = await serveJsonRpc({ socketPath, dispatcher: echoDispatcher() });
    try {
      const garbage = await rawPost(socketPath, '{"jsonrpc": "2.0", "method": ');
      assert.equal(garbage.status, 200);
      assert.equal((JSON.parse(garbage.body) as { error: { code: number } }).error.code, -32700);
      const note = await rawPost(socketPath, '{"jsonrpc":"2.0","method":"echo"}');
      assert.equal(note.status, 204);
      assert.equal(note.body, '');
      const get = await new Promise<number>((resolve, reject) => {
        request({ socketPath, method: 'GET', path: '/', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      assert.equal(get, 405);
    } finally {
      await server.close();
    }
  });

  test('a stale socket file is removed on start', async () => {
    const socketPath = nextPath();
    const first = await serveJsonRpc({ socketPath: nextPath(), dispatcher: echoDispatcher() });
    // A second name for the first server's socket outlives it: a socket file nobody listens on.
    linkSync(first.socketPath, socketPath);
    await first.close();
    const server = await serveJsonRpc({ socketPath, dispatcher: echoDispatcher() });
    const client = new JsonRpcClient({ socketPath, pluginName: 'echo' });
    try {
      assert.deepEqual(await client.call('echo', { ok: 1 }), { ok: 1 });
    } finally {
      client.close();
      await server.close();
    }
  });

  test('a live socket is a conflict naming the path; so is a regular file', async () => {
    const socketPath = nextPath();
    const server = await serveJsonRpc({ socketPath, dispatcher: echoDispatcher() });
    try {
      await assert.rejects(
        serveJsonRpc({ socketPath, dispatcher: echoDispatcher() }),
        (e: unknown) => TendError.is(e, 'conflict') && e.message.includes(socketPath),
      );
    } finally {
      await server.close();
    }
    const filePath = nextPath();
    writeFileSync(filePath, 'not a socket');
    await assert.rejects(
      serveJsonRpc({ socketPath: filePath, dispatcher: echoDispatcher() }),
      (e: unknown) => TendError.is(e, 'conflict') && e.message.includes(filePath),
    );
  });

  test('a socket path over 107 bytes is invalid_spec naming the path and the limit', async () => {
    const socketPath = `${dir}/${'x'.repeat(120)}`;
    await assert.rejects(
      serveJsonRpc({ socketPath, dispatcher: echoDispatcher() }),
      (e: unknown) =>
        TendError.is(e, 'invalid_spec') && e.message.includes(socketPath) && e.message.includes('107'),
    );
  });

  test('an oversized body is HTTP 413 with a JSON-RPC error, declared or streamed', async () => {
    const socketPath = nextPath();
    const server = await serveJsonRpc({ socketPath, dispatcher: echoDispatcher(), maxBodyBytes: 1024 });
    try {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        method: 'echo',
        params: { pad: 'x'.repeat(2000) },
        id: 1,
      });
      for (const headers of [{}, { 'Transfer-Encoding': 'chunked' }]) {
        const answer = await rawPost(socketPath, body, headers);
        assert.equal(answer.status, 413);
        const parsed = JSON.parse(answer.body) as {
          jsonrpc: string;
          id: unknown;
          error: { code: number; message: string };
        };
        assert.equal(parsed.jsonrpc, '2.0');
        assert.equal(parsed.id, null);
        assert.equal(parsed.error.code, -32600);
        assert.match(parsed.error.message, /1024 bytes/);
      }
      // The server still serves well-behaved clients afterwards.
      assert.equal((await rawPost(socketPath, '{"jsonrpc":"2.0","method":"echo","id":2}')).status, 200);
    } finally {
      await server.close();
    }
  });

  test('a client that never finishes its body is answered 408 and cut off', async () => {
    const socketPath = nextPath();
    const server = await serveJsonRpc({ socketPath, dispatcher: echoDispatcher(), bodyTimeoutMs: 100 });
    try {
      const received = await new Promise<string>((resolve, reject) => {
        const socket = connect({ path: socketPath });
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk.toString();
        });
        socket.on('error', reject);
        socket.on('close', () => resolve(text));
        socket.write(
          'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"json',
        );
      });
      assert.match(received, /^HTTP\/1\.1 408/);
      assert.match(received, /"code":-32600/);
      assert.match(received, /not received within 100 ms/);
    } finally {
      await server.close();
    }
  });

  test('close() waits for an in-flight call, then answers it', async () => {
    const socketPath = nextPath();
    const dispatcher = new JsonRpcDispatcher();
    let release: () => void = () => {};
    let started: () => void = () => {};
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    dispatcher.register('slow', () => {
      started();
      return new Promise((resolve) => {
        release = () => resolve('done');
      });
    });
    const server = await serveJsonRpc({ socketPath, dispatcher });
    const client = new JsonRpcClient({ socketPath, pluginName: 'slow' });
    try {
      const call = client.call('slow', {});
      await handlerStarted;
      let closed = false;
      const closing = server.close().then(() => {
        closed = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(closed, false, 'close() returned while a call was in flight');
      release();
      assert.equal(await call, 'done');
      await closing;
    } finally {
      client.close();
      await server.close();
    }
  });
});
