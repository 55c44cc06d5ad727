// Hostile plugins: answers far beyond any real describe, endless streams, giant tag sets. The
// client must refuse them at its cap, naming the plugin, the method and the limit — never buffer
// them whole, and never wait for the call's timeout to stop an endless one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { TendError } from '../spi/index.js';
import { DEFAULT_MAX_ANSWER_BYTES, JsonRpcClient } from './json-rpc-client.js';
import { RemoteInstancePlugin } from './remote-instance-plugin.js';

const MiB = 1024 * 1024;

type Answer = (res: ServerResponse, id: unknown) => void;

let dir: string;
const servers: Server[] = [];
before(() => {
  dir = mkdtempSync('/tmp/tend-');
});
after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A plugin server on a unix socket that answers every call with `answer`. */
async function hostile(name: string, answer: Answer): Promise<string> {
  const socketPath = `${dir}/${name}`;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { id } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: unknown };
      answer(res, id);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

function describeAnswer(id: unknown, descriptions: unknown[]): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result: { Descriptions: descriptions } });
}

async function failure(promise: Promise<unknown>): Promise<TendError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof TendError, `expected a TendError, got ${String(error)}`);
  return error;
}

describe('JsonRpcClient answer cap', () => {
  test('a 50 MB answer is refused at the default cap, naming plugin, method and limit', async () => {
    // One description whose Properties hold 50 MB: valid JSON-RPC, just far too big.
    const big = 'x'.repeat(50 * 1000 * 1000);
    const socketPath = await hostile('fat', (res, id) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(describeAnswer(id, [{ ID: 'i-1', Tags: {}, Properties: big }]));
    });
    const client = new JsonRpcClient({ socketPath, pluginName: 'fat' });
    try {
      const error = await failure(client.call('Instance.DescribeInstances', { Tags: {} }));
      assert.equal(DEFAULT_MAX_ANSWER_BYTES, 16 * MiB);
      assert.ok(
        error.message.startsWith(
          `plugin fat answered more than ${16 * MiB} bytes to Instance.DescribeInstances`,
        ),
        error.message,
      );
      assert.equal(error.details.limitBytes, 16 * MiB);
    } finally {
      client.close();
    }
  });

  test('an endless stream is cut at the cap, not at the call timeout', async () => {
    let written = 0;
    let closed: () => void = () => {};
    const connectionClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const chunk = Buffer.alloc(64 * 1024, 0x20); // spaces: still "valid" JSON whitespace
    const socketPath = await hostile('endless', (res) => {
      res.setHeader('Content-Type', 'application/json');
      res.write('{"jsonrpc":"2.0","id":1,"result":');
      res.on('close', () => closed());
      const pump = () => {
        while (!res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    // The timeout is a hang guard only: if the cap did not work, the call would fail `timeout`.
    const client = new JsonRpcClient({
      socketPath,
      pluginName: 'endless',
      maxAnswerBytes: MiB,
      timeoutMs: 120_000,
    });
    try {
      const error = await failure(client.call('Instance.DescribeInstances', {}));
      assert.notEqual(error.kind, 'timeout', error.message);
      assert.equal(
        error.message,
        `plugin endless answered more than ${MiB} bytes to Instance.DescribeInstances`,
      );
      await connectionClosed;
      // Socket buffers let the server get ahead of the client a little; nowhere near 2 GB.
      assert.ok(written < 64 * MiB, `server wrote ${written} bytes before the client hung up`);
    } finally {
      client.close();
    }
  });

  test('an answer declared too big by Content-Length is refused before its body is read', async () => {
    const socketPath = await hostile('declared', (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(2 * 1024 * MiB) });
      res.write('{');
      // Never sends the rest: only the header can have stopped the client.
    });
    const client = new JsonRpcClient({
      socketPath,
      pluginName: 'declared',
      maxAnswerBytes: MiB,
      timeoutMs: 120_000,
    });
    try {
      const error = await failure(client.call('Instance.DescribeInstances', {}));
      assert.equal(
        error.message,
        `plugin declared answered more than ${MiB} bytes to Instance.DescribeInstances (Content-Length ${2 * 1024 * MiB})`,
      );
    } finally {
      client.close();
    }
  });
});

describe('describe answers with oversized tags', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    [
      'too many tags',
      Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, 'v'])),
      /Descriptions\[0\]\.Tags: 300 tags; the limit is 256/,
    ],
    [
      'a long key',
      { ['k'.repeat(600)]: 'v' },
      /Descriptions\[0\]\.Tags: a key of 600 characters; the limit is 512/,
    ],
    [
      'a long value',
      { role: 'v'.repeat(10_000) },
      /Descriptions\[0\]\.Tags\.role: a value of 10000 characters; the limit is 4096/,
    ],
  ];
  for (const [what, tags, message] of cases) {
    test(`${what}: the describe fails, nothing is truncated`, async () => {
      const socketPath = await hostile(`tags-${what.replaceAll(' ', '-')}`, (res, id) => {
        res.end(describeAnswer(id, [{ ID: 'i-1', Tags: tags }]));
      });
      const plugin = new RemoteInstancePlugin({
        client: new JsonRpcClient({ socketPath, pluginName: 'tags' }),
      });
      try {
        const error = await failure(plugin.describeInstances({}));
        assert.match(error.message, /^plugin tags: invalid answer to Instance\.DescribeInstances: /);
        assert.match(error.message, message);
      } finally {
        await plugin.close();
      }
    });
  }
});
