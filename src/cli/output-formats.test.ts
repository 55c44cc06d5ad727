// -o yaml|wide, --watch intervals and `q` in top: the parts that need no manager.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { watchInterval } from './commands/redraw.js';
import { quitOnKey } from './commands/top.js';
import { isStructured, toYaml } from './output.js';

test('yaml carries what json carries; undefined fields are left out as in JSON', async () => {
  assert.equal(await toYaml({ a: 1, b: undefined, c: ['x'] }), 'a: 1\nc:\n  - x\n');
  assert.equal(isStructured('yaml'), true);
  assert.equal(isStructured('wide'), false);
});

test('--watch takes seconds, a duration, or nothing (2 s)', async () => {
  assert.equal(await watchInterval(undefined), undefined);
  assert.equal(await watchInterval(true), 2000);
  assert.equal(await watchInterval('5'), 5000);
  assert.equal(await watchInterval('0.5'), 500);
  assert.equal(await watchInterval('1m'), 60_000);
  await assert.rejects(watchInterval('0'), /--watch: expected at least 100ms/);
  await assert.rejects(watchInterval('soon'), /--watch/);
});

class FakeTty extends EventEmitter {
  isTTY = true;
  raw: boolean[] = [];
  flowing = false;
  setRawMode(raw: boolean) {
    this.raw.push(raw);
  }
  resume() {
    this.flowing = true;
  }
  pause() {
    this.flowing = false;
  }
}

test('q and Ctrl-C quit top on a terminal; the terminal is restored; a pipe is left alone', () => {
  const tty = new FakeTty();
  let quits = 0;
  const keys = quitOnKey(tty, () => quits++);
  tty.emit('data', Buffer.from('x'));
  assert.equal(quits, 0);
  tty.emit('data', Buffer.from('q'));
  tty.emit('data', '\u0003');
  assert.equal(quits, 2);
  keys.release();
  assert.deepEqual(tty.raw, [true, false]);
  assert.equal(tty.flowing, false);
  assert.equal(tty.listenerCount('data'), 0);

  const pipe = new FakeTty();
  pipe.isTTY = false;
  quitOnKey(pipe, () => quits++).release();
  assert.deepEqual(pipe.raw, []);
  assert.equal(pipe.listenerCount('data'), 0);
});
