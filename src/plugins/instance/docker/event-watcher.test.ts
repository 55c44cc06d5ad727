import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger, VirtualClock } from '../../../lib/index.js';
import type { InstanceEvent } from '../../../spi/index.js';
import { EventWatcher, toInstanceEvent } from './event-watcher.js';

function raw(action: string, id: string, attributes: Record<string, string> = {}, timeNano = 1): string {
  return `${JSON.stringify({ Type: 'container', Action: action, Actor: { ID: id, Attributes: attributes }, timeNano })}\n`;
}

/** A stream the test feeds by hand; `end()` drops it the way a dying engine would. */
class FakeStream implements AsyncIterable<string> {
  private queue: string[] = [];
  private waiting: ((r: IteratorResult<string>) => void) | undefined;
  private ended = false;

  push(chunk: string): void {
    const waiter = this.waiting;
    this.waiting = undefined;
    if (waiter !== undefined) waiter({ value: chunk, done: false });
    else this.queue.push(chunk);
  }

  end(): void {
    this.ended = true;
    this.waiting?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return {
      next: () => {
        const chunk = this.queue.shift();
        if (chunk !== undefined) return Promise.resolve({ value: chunk, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
    };
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('engine events map to gone, and a survivable kill to changed', () => {
  const tags = { 'tend.group': 'g', 'tend.managed-by': 'tend-docker', name: 'x', exitCode: '0' };
  assert.deepEqual(toInstanceEvent(JSON.parse(raw('die', 'c1', tags))), {
    type: 'gone',
    id: 'c1',
    tags: { 'tend.group': 'g' },
  });
  assert.equal(toInstanceEvent(JSON.parse(raw('kill', 'c1', { signal: '9' })))?.type, 'gone');
  assert.equal(toInstanceEvent(JSON.parse(raw('kill', 'c1', { signal: '1' })))?.type, 'changed');
  assert.equal(toInstanceEvent(JSON.parse(raw('start', 'c1'))), undefined);
  assert.equal(toInstanceEvent({ Type: 'network', Action: 'die', Actor: { ID: 'n' } }), undefined);
});

test('a dropped stream reconnects after a backoff, asking for events since the last one', async () => {
  const clock = new VirtualClock({ start: 10_000 });
  const streams: FakeStream[] = [];
  const sinces: Array<number | undefined> = [];
  const watcher = new EventWatcher({
    clock,
    logger: silentLogger,
    random: () => 0.5,
    backoff: { baseMs: 1_000, capMs: 8_000 },
    open: async (since) => {
      sinces.push(since);
      const stream = new FakeStream();
      streams.push(stream);
      return stream;
    },
  });
  const seen: InstanceEvent[] = [];
  watcher.subscribe((event) => seen.push(event));
  await settle();
  assert.equal(streams.length, 1);
  assert.equal(sinces[0], undefined);

  // One event split across two chunks, then the stream drops.
  const line = raw('die', 'c1', {}, 42_500_000_000);
  streams[0]?.push(line.slice(0, 10));
  streams[0]?.push(line.slice(10));
  await settle();
  assert.deepEqual(seen, [{ type: 'gone', id: 'c1' }]);
  streams[0]?.end();
  await settle();
  assert.equal(streams.length, 1, 'reconnects only after the backoff delay');
  await clock.advance(499);
  assert.equal(streams.length, 1);
  await clock.advance(1);
  assert.equal(streams.length, 2);
  assert.equal(sinces[1], 42.5);

  await watcher.close();
  assert.equal(streams.length, 2);
});

test('failed opens back off exponentially up to the cap, and close stops the loop', async () => {
  const clock = new VirtualClock();
  let opens = 0;
  const watcher = new EventWatcher({
    clock,
    logger: silentLogger,
    random: () => 0.999,
    backoff: { baseMs: 100, capMs: 400 },
    open: async () => {
      opens += 1;
      throw new Error('ECONNREFUSED');
    },
  });
  watcher.subscribe(() => {});
  await settle();
  assert.equal(opens, 1);
  // Delays ~99, ~199, ~399, then capped at ~399.
  for (const [step, expected] of [
    [99, 2],
    [199, 3],
    [399, 4],
    [399, 5],
  ] as const) {
    await clock.advance(step);
    assert.equal(opens, expected);
  }
  await watcher.close();
  await clock.advance(10_000);
  assert.equal(opens, 5);
});

test('the stream closes with its last listener and reopens with the next', async () => {
  const clock = new VirtualClock();
  const streams: FakeStream[] = [];
  const aborted: boolean[] = [];
  const watcher = new EventWatcher({
    clock,
    logger: silentLogger,
    open: async (_since, signal) => {
      const stream = new FakeStream();
      signal.addEventListener('abort', () => {
        aborted.push(true);
        stream.end();
      });
      streams.push(stream);
      return stream;
    },
  });
  const stopA = watcher.subscribe(() => {});
  const stopB = watcher.subscribe(() => {});
  await settle();
  stopA();
  assert.equal(aborted.length, 0);
  stopB();
  await settle();
  assert.equal(aborted.length, 1);
  watcher.subscribe(() => {});
  await settle();
  assert.equal(streams.length, 2);
  await watcher.close();
  assert.throws(() => watcher.subscribe(() => {}), /after close/);
});

test('a gone event reaches listeners only once settle is done, even when settle fails', async () => {
  const stream = new FakeStream();
  const gates: Array<() => void> = [];
  const watcher = new EventWatcher({
    clock: new VirtualClock(),
    logger: silentLogger,
    open: async () => stream,
    // The engine's list may lag its `die` event; the plugin waits for it to catch up here.
    settle: (event) =>
      new Promise<void>((resolve, reject) => {
        gates.push(event.id === 'c2' ? () => reject(new Error('inspect failed')) : resolve);
      }),
  });
  const seen: InstanceEvent[] = [];
  watcher.subscribe((event) => seen.push(event));
  await settle();
  stream.push(raw('die', 'c1') + raw('kill', 'c1', { signal: '1' }) + raw('destroy', 'c2'));
  await settle();
  assert.deepEqual(seen, [{ type: 'changed', id: 'c1' }], 'changed is not held back');
  assert.equal(gates.length, 2);
  for (const open of gates) open();
  await settle();
  assert.deepEqual(
    seen.map((e) => `${e.type} ${e.id}`),
    ['changed c1', 'gone c1', 'gone c2'],
  );
  await watcher.close();
});
