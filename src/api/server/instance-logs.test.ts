// GET /v1/groups/:id/instances/:instance/logs on a real HTTP server over a fake plugin whose
// log the test grows: the JSON answer, tail and since, refusals, and the followed SSE stream.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Manager } from '../../manager/index.js';
import {
  fakeControllers,
  fakeResolver,
  ManualLeadership,
  sampleSpec,
} from '../../manager/testing/manager-fixtures.js';
import type { InstancePlugin, LogsOptions } from '../../spi/index.js';
import { MemoryStore } from '../../store/index.js';
import { ManagerClient } from '../index.js';
import { lastLines, logDelta, parseLogsQuery } from './instance-logs.js';

const guard = { timeout: 20_000 };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function managerWithLog(log: { text: string; calls: LogsOptions[] }) {
  const base = fakeResolver();
  const plain = await base.instance('fake');
  const withLogs: InstancePlugin = {
    ...plain,
    logs: async (id, options = {}) => {
      log.calls.push(options);
      if (id !== 'web-0') return '';
      return options.sinceMs !== undefined && options.sinceMs > Date.now() ? '' : log.text;
    },
  };
  let leadership: ManualLeadership | undefined;
  const manager = await Manager.create({
    name: 'm1',
    store: new MemoryStore(),
    resolver: { ...base, instance: async () => withLogs },
    leadership: ({ address }) => {
      leadership = new ManualLeadership({ name: 'm1', address });
      return leadership;
    },
    listen: { port: 0 },
    createController: fakeControllers().create,
  });
  cleanups.push(() => manager.stop());
  manager.start();
  leadership?.grant(1);
  const client = new ManagerClient({ url: manager.address, token: manager.localToken });
  while (!manager.isLeader()) await new Promise((resolve) => setTimeout(resolve, 5));
  await client.apply(sampleSpec('web', 2));
  const get = (path: string, token: string | null = manager.localToken) =>
    fetch(
      `${manager.address}${path}`,
      token === null ? {} : { headers: { authorization: `Bearer ${token}` } },
    );
  return { manager, get };
}

test(
  'logs answer JSON with the tail, honour tail and since, and refuse what they cannot place',
  guard,
  async () => {
    const log = { text: 'one\ntwo\nthree\n', calls: [] as LogsOptions[] };
    const { get } = await managerWithLog(log);
    const path = '/v1/groups/web/instances/web-0/logs';
    const whole = await get(path);
    assert.equal(whole.status, 200);
    assert.deepEqual(await whole.json(), { group: 'web', instance: 'web-0', text: 'one\ntwo\nthree\n' });
    assert.equal(((await (await get(`${path}?tail=2`)).json()) as { text: string }).text, 'two\nthree\n');
    const future = new Date(Date.now() + 3600_000).toISOString();
    assert.equal(((await (await get(`${path}?since=${future}`)).json()) as { text: string }).text, '');
    assert.equal(typeof log.calls.at(-1)?.sinceMs, 'number');
    assert.equal((await get(`${path}?tail=abc`)).status, 400);
    assert.equal((await get(`${path}?since=yesterday`)).status, 400);
    assert.equal((await get('/v1/groups/web/instances/web-9/logs')).status, 404);
    assert.equal((await get('/v1/groups/nosuch/instances/web-0/logs')).status, 404);
    assert.equal((await get(path, null)).status, 401);
  },
);

test('follow=1 streams the tail, then only what the log gains', guard, async () => {
  const log = { text: 'first\n', calls: [] as LogsOptions[] };
  const { get } = await managerWithLog(log);
  const response = await get('/v1/groups/web/instances/web-0/logs?follow=1');
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = response.body?.getReader();
  assert.ok(reader !== undefined);
  const decoder = new TextDecoder();
  const pieces: string[] = [];
  let buffer = '';
  while (pieces.length < 2) {
    const chunk = await reader.read();
    if (chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^event: log\ndata: (.*)$/s.exec(frame)?.[1];
      if (data === undefined) continue;
      pieces.push((JSON.parse(data) as { text: string }).text);
      if (pieces.length === 1) log.text += 'second\n';
    }
  }
  await reader.cancel();
  assert.deepEqual(pieces, ['first\n', 'second\n']);
});

test('the query is checked and deltas are found in a sliding window', () => {
  assert.deepEqual(parseLogsQuery(new URLSearchParams('tail=5&follow=1')), { tailLines: 5, follow: true });
  assert.equal(parseLogsQuery(new URLSearchParams('since=1700000000000')).sinceMs, 1_700_000_000_000);
  assert.throws(() => parseLogsQuery(new URLSearchParams('follow=yes')), /follow/);
  assert.throws(() => parseLogsQuery(new URLSearchParams('tail=-1')), /tail/);
  assert.equal(lastLines('a\nb\nc\n', 2), 'b\nc\n');
  assert.equal(lastLines('a\nb\nc', 1), 'c');
  assert.equal(lastLines('a\n', 0), '');
  assert.equal(logDelta('a\nb\n', 'a\nb\nc\n'), 'c\n');
  const before = `${'x'.repeat(5000)}line-1\n`;
  const slid = `${before.slice(7)}line-2\n`; // a full window moved on: its start is gone
  assert.equal(logDelta(before, slid), 'line-2\n');
  assert.equal(logDelta('old\n', 'new after truncation\n'), 'new after truncation\n');
});
