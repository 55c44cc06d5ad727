import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { silentLogger } from '../lib/index.js';
import type { GroupSummary } from '../spi/index.js';
import { readEventStream } from './event-stream-reader.js';
import { StatusFeed, type StatusUpdate } from './server/event-stream.js';
import { applyStatusDelta } from './status-delta.js';
import type { StatusDelta, StatusView } from './views.js';

const summary = (id: string, healthy: number) =>
  ({ id, phase: 'converged', desired: 3, observed: 3, healthy }) as unknown as GroupSummary;
const view = (groups: GroupSummary[]) => ({ leader: true, groups }) as unknown as StatusView;

test('the feed sends the first status whole, then each change as the groups that changed or went', async () => {
  let status = view([summary('a', 3), summary('b', 3), summary('c', 3)]);
  const feed = new StatusFeed({
    compute: async () => JSON.stringify(status),
    logger: silentLogger,
    intervalMs: 5,
  });
  const updates: StatusUpdate[] = [];
  const unsubscribe = feed.subscribe((u) => updates.push(u));
  const next = async (count: number) => {
    while (updates.length < count) await new Promise((resolve) => setTimeout(resolve, 2));
  };
  await next(1);
  assert.equal(updates[0]?.delta, undefined);
  const first = JSON.parse(updates[0]?.full ?? '') as StatusView;
  status = view([summary('a', 3), summary('b', 2), summary('d', 0)]);
  await next(2);
  unsubscribe();
  const delta = JSON.parse(updates[1]?.delta ?? '') as StatusDelta;
  assert.deepEqual(
    delta.changed.map((g) => g.id),
    ['b', 'd'],
  );
  assert.deepEqual(delta.removed, ['c']);
  assert.equal((delta as unknown as { leader: boolean }).leader, true, "the status's own fields");
  assert.deepEqual(applyStatusDelta(first, delta), JSON.parse(updates[1]?.full ?? ''));
});

test('a stream reader hands on whole statuses, deltas applied; a delta before any status is dropped', async () => {
  const base = view([summary('a', 3), summary('b', 3)]);
  const delta: StatusDelta = {
    ...({ leader: true } as unknown as StatusDelta),
    changed: [summary('a', 1)],
    removed: ['b'],
  };
  const message = (type: string, value: unknown) => `event: ${type}\ndata: ${JSON.stringify(value)}\n\n`;
  const seen: StatusView[] = [];
  await readEventStream(
    Readable.from([message('status-delta', delta), message('status', base), message('status-delta', delta)]),
    { onStatus: (s) => seen.push(s) },
  );
  assert.equal(seen.length, 2);
  assert.deepEqual(seen[1]?.groups, [summary('a', 1)]);
});
