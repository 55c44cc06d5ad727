// Engine failures that need no engine: a missing socket and one that accepts but never answers.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { instanceId, TendError } from '../../../spi/index.js';
import { createDockerPlugin } from './index.js';

const spec = {
  tags: { 'tend.group': 'g', 'tend.op': 'o' },
  init: 'sleep 1',
  attachments: [],
  properties: { image: 'a' },
};

test('an engine that is not there is unavailable, naming the socket', async () => {
  const plugin = createDockerPlugin({ socketPath: '/nonexistent/tend-docker.sock' });
  const calls = [
    () => plugin.describeInstances({ 'tend.group': 'g' }),
    () => plugin.provision(spec),
    () => plugin.destroy(instanceId('c1'), { reason: 'terminate' }),
    () => plugin.validate({ image: 'a' }),
    () => plugin.label(instanceId('c1'), { a: 'b' }),
  ];
  for (const call of calls) {
    await assert.rejects(
      call,
      (error: unknown) =>
        TendError.is(error, 'unavailable') && error.message.includes('/nonexistent/tend-docker.sock'),
    );
  }
  await plugin.close();
});

test('an engine that never answers is unavailable after the request timeout; an abort is timeout', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tend-docker-hung-'));
  const socketPath = join(dir, 'docker.sock');
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket); // accept, read, never reply
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const plugin = createDockerPlugin({ socketPath, requestTimeoutMs: 200 });
  try {
    await assert.rejects(
      plugin.describeInstances({}),
      (error: unknown) =>
        TendError.is(error, 'unavailable') && /did not answer within 200 ms/.test(error.message),
    );
    const controller = new AbortController();
    const pending = plugin.describeInstances({}, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, (error: unknown) => TendError.is(error, 'timeout'));
  } finally {
    await plugin.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  }
});

test('invalid properties fail before any engine call', async () => {
  const plugin = createDockerPlugin({ socketPath: '/nonexistent/tend-docker.sock' });
  await assert.rejects(
    plugin.provision({ ...spec, properties: { image: 'a', mounts: [{ source: 'x', target: '/y' }] } }),
    (error: unknown) => TendError.is(error, 'invalid_spec') && /mounts\[0\]\.source/.test(error.message),
  );
  await plugin.close();
});
