import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demuxLogs, tailOf } from './container-logs.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

test('multiplexed stdout and stderr frames are joined in order', () => {
  const buffer = Buffer.concat([frame(1, 'hello\n'), frame(2, 'oops\n'), frame(1, 'bye\n')]);
  assert.equal(demuxLogs(buffer), 'hello\noops\nbye\n');
});

test('a TTY container log (no frame headers) is taken as text', () => {
  assert.equal(demuxLogs(Buffer.from('plain output\n')), 'plain output\n');
  assert.equal(demuxLogs(Buffer.alloc(0)), '');
});

test('tailOf keeps the last bytes without splitting a character', () => {
  assert.equal(tailOf('abcdef', 3), 'def');
  assert.equal(tailOf('abc', 10), 'abc');
  assert.equal(tailOf('aé', 1), ''); // 'é' is two bytes: half of it is dropped, not shown as U+FFFD
});
