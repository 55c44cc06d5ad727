import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseWriter } from './sse-writer.js';

/** A socket that buffers everything and drains only when told, like a reader that reads slowly. */
function fakeSink(highWaterMark = 16) {
  const written: string[] = [];
  let buffered = 0;
  let onDrain: (() => void) | undefined;
  return {
    written,
    sink: {
      write(chunk: string) {
        written.push(chunk);
        buffered += chunk.length;
        return buffered < highWaterMark;
      },
      get writableLength() {
        return buffered;
      },
      once(_event: 'drain', listener: () => void) {
        onDrain = listener;
      },
    },
    /** The reader read everything buffered. */
    drain() {
      buffered = 0;
      const listener = onDrain;
      onDrain = undefined;
      listener?.();
    },
  };
}

/** A writer on a fake socket with a 100-byte limit, a 1 s stall time and a clock the test moves. */
function slowReader() {
  const fake = fakeSink();
  const t = { now: 0, stalled: 0 };
  const writer = new SseWriter({
    sink: fake.sink,
    onStalled: () => t.stalled++,
    now: () => t.now,
    maxBufferedBytes: 100,
    stallMs: 1_000,
  });
  return { fake, writer, t };
}

test('a reader that keeps up is not dropped, however large one message is', () => {
  const { fake, writer, t } = slowReader();
  t.now = 60_000; // a long quiet stream first: the stall clock starts when the socket backs up
  writer.status('S'.repeat(500)); // five times the limit, in one message
  writer.event('e1');
  t.now += 500;
  writer.event('e2');
  fake.drain();
  t.now += 5_000;
  writer.status('S'.repeat(500));
  writer.event('e3');
  assert.equal(t.stalled, 0);
  assert.deepEqual(
    fake.written.map((w) => w.slice(0, 2)),
    ['SS', 'e1', 'e2', 'SS', 'e3'],
  );
});

test('while the socket backs up only the newest status waits, and is sent on drain', () => {
  const fake = fakeSink();
  const writer = new SseWriter({ sink: fake.sink, onStalled: () => assert.fail('dropped') });
  writer.status('status-1 is long enough to back up');
  writer.status('status-2');
  writer.status('status-3');
  writer.event('event');
  assert.deepEqual(fake.written, ['status-1 is long enough to back up', 'event']);
  fake.drain();
  assert.deepEqual(fake.written.at(-1), 'status-3');
  assert.equal(fake.written.length, 3);
});

test('a reader that stopped reading is dropped once past the limit for the stall time', () => {
  const { fake, writer, t } = slowReader();
  writer.event('x'.repeat(200));
  t.now += 999;
  writer.event('y');
  assert.equal(t.stalled, 0, 'past the limit, but not for the stall time yet');
  t.now += 1;
  writer.event('z');
  writer.event('w');
  writer.status('s');
  assert.equal(t.stalled, 1, 'dropped once');
  assert.equal(fake.written.includes('z'), false);
});

test('a reader past the hard limit is dropped at once', () => {
  const fake = fakeSink();
  let stalled = 0;
  const writer = new SseWriter({
    sink: fake.sink,
    onStalled: () => stalled++,
    now: () => 0,
    hardLimitBytes: 100,
  });
  writer.event('x'.repeat(101));
  writer.event('y');
  assert.equal(stalled, 1);
});

test('deltas go out in order while the reader keeps up; a backed-up reader gets the whole status instead', () => {
  const fake = fakeSink(16);
  const writer = new SseWriter({ sink: fake.sink, onStalled: () => assert.fail('never dropped') });
  writer.statusDelta('d1', 'F1');
  writer.statusDelta('d2', 'F2');
  assert.deepEqual(fake.written, ['d1', 'd2']);
  writer.event('x'.repeat(20)); // the socket backs up
  writer.statusDelta('d3', 'F3');
  writer.statusDelta('d4', 'F4');
  assert.deepEqual(fake.written.slice(3), [], 'nothing more while it has not drained');
  fake.drain();
  assert.deepEqual(fake.written.slice(3), ['F4'], 'the newest whole status, no stale delta');
  fake.drain();
  writer.statusDelta('d5', 'F5');
  assert.deepEqual(fake.written.slice(4), ['d5'], 'deltas again, on top of F4');
});
