import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { groupId } from '../spi/index.js';
import { EventLog } from './event-log.js';

test('events survive a restart, stay bounded, filter by group, and keep counting', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tend-events-'));
  try {
    const first = await EventLog.open({ dir, name: 'm1', capacity: 10 });
    for (let i = 0; i < 25; i++) {
      first.push({
        type: 'created',
        groupId: groupId(i % 2 === 1 ? 'odd' : 'even'),
        message: `e${i}`,
        at: i,
      });
    }
    await first.close();

    const second = await EventLog.open({ dir, name: 'm1', capacity: 10 });
    const all = second.query();
    assert.equal(all.length, 10);
    assert.deepEqual([all[0]?.seq, all.at(-1)?.seq], [16, 25]);
    assert.ok(second.query({ group: 'odd' }).every((e) => e.groupId === 'odd'));
    assert.deepEqual(
      second.query({ after: 22 }).map((e) => e.seq),
      [23, 24, 25],
    );
    assert.equal(second.push({ type: 'destroyed', groupId: groupId('odd'), message: 'x', at: 0 }).seq, 26);
    const heard: number[] = [];
    const unsubscribe = second.subscribe((e) => heard.push(e.seq));
    second.push({ type: 'destroyed', groupId: groupId('odd'), message: 'y', at: 0 });
    unsubscribe();
    assert.deepEqual(heard, [27]);
    await second.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a stored line that is not an event (torn, edited, another shape) is left out, the rest kept', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tend-events-'));
  try {
    const first = await EventLog.open({ dir, name: 'm1', capacity: 10 });
    first.push({ type: 'created', groupId: groupId('web'), message: 'kept', at: 1 });
    await first.close();
    const file = join(dir, 'events-m1.jsonl');
    const bad = [
      '{"seq":2,"type":"created","groupId":"web","at":2}', // no message
      '{"seq":"3","type":"created","groupId":"web","message":"m","at":3}', // seq a string
      '[1,2,3]',
      '{"seq":4,"type":"creat',
    ];
    await appendFile(file, `${bad.join('\n')}\n`);
    const second = await EventLog.open({ dir, name: 'm1', capacity: 10 });
    assert.deepEqual(
      second.query().map((e) => e.message),
      ['kept'],
    );
    await second.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
