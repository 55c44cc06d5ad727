import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { groupId, TendError } from '../spi/index.js';
import { FileStore } from './file-store.js';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const web = groupId('web');

async function storeWith(count: number) {
  const dir = await mkdtemp(join(tmpdir(), 'tend-file-log-'));
  dirs.push(dir);
  const store = await FileStore.create({ dir, lockTimeoutMs: 300 });
  for (let i = 1; i <= count; i++)
    await store.commit({ groupId: web, spec: { n: i }, author: 'a', reason: 'r' });
  return {
    dir,
    store,
    log: join(dir, 'groups', 'web.jsonl'),
    record: join(dir, 'groups', 'web.latest.json'),
  };
}

test('a commit appends one line to the log and replaces the latest record', async () => {
  const { store, log, record } = await storeWith(3);
  const before = await readFile(log, 'utf8');
  await store.commit({ groupId: web, spec: { n: 4 }, author: 'a', reason: 'r' });
  const text = await readFile(log, 'utf8');
  assert.ok(text.startsWith(before), 'earlier lines are untouched');
  assert.equal(text.split('\n').filter(Boolean).length, 4);
  const latest = JSON.parse(await readFile(record, 'utf8'));
  assert.equal(latest.revision.revision, 4);
  assert.equal(latest.logBytes, (await stat(log)).size);
});

test('an unfinished append past the record is ignored by reads and cut off by the next commit', async () => {
  const { store, log } = await storeWith(2);
  const intact = await readFile(log, 'utf8');
  await appendFile(log, '{"groupId":"web","revision":3,"sp');
  assert.equal((await store.latest(web))?.revision, 2);
  assert.deepEqual(
    (await store.list()).map((r) => r.revision),
    [2],
  );
  assert.deepEqual(await store.listDamaged(), []);
  assert.deepEqual(
    (await store.history(web)).map((r) => r.revision),
    [1, 2],
  );
  assert.deepEqual(await store.verify(), []);
  assert.equal((await store.commit({ groupId: web, spec: 3, author: 'a', reason: 'r' })).revision, 3);
  const text = await readFile(log, 'utf8');
  assert.ok(text.startsWith(intact) && !text.includes('"sp\n') && !text.includes('"sp{'), text);
  assert.deepEqual(
    (await store.history(web)).map((r) => r.revision),
    [1, 2, 3],
  );
  assert.deepEqual(await store.verify(), []);
});

test('a complete line the record does not know (crash before the record) is the latest', async () => {
  const { store, log } = await storeWith(2);
  const line = JSON.stringify({ groupId: 'web', revision: 3, spec: 3, author: 'a', at: 'now', reason: 'r' });
  await appendFile(log, `${line}\n`);
  assert.equal((await store.latest(web))?.revision, 3);
  assert.equal((await store.commit({ groupId: web, spec: 4, author: 'a', reason: 'r' })).revision, 4);
  assert.deepEqual(
    (await store.history(web)).map((r) => r.revision),
    [1, 2, 3, 4],
  );
});

test('a store written before the record existed is read, and migrated by its first commit', async () => {
  const { store, log, record } = await storeWith(0);
  const old = [1, 2].map((n) =>
    JSON.stringify({ groupId: 'web', revision: n, spec: n, author: 'a', at: 'then', reason: 'r' }),
  );
  // Older versions rewrote the whole file; one left without a final newline is still intact.
  await writeFile(log, `${old.join('\n')}`);
  assert.equal((await store.latest(web))?.revision, 2);
  assert.equal((await store.commit({ groupId: web, spec: 3, author: 'a', reason: 'r' })).revision, 3);
  assert.equal(JSON.parse(await readFile(record, 'utf8')).revision.revision, 3);
  assert.deepEqual(
    (await store.history(web)).map((r) => r.revision),
    [1, 2, 3],
  );
  assert.deepEqual(await store.verify(), []);
});

test('a damaged or missing latest record falls back to the log', async () => {
  const { store, record } = await storeWith(3);
  await writeFile(record, '{"revis');
  assert.equal((await store.latest(web))?.revision, 3);
  await unlink(record);
  assert.equal((await store.commit({ groupId: web, spec: 4, author: 'a', reason: 'r' })).revision, 4);
  assert.equal((await store.latest(web))?.revision, 4);
});

test('a held journal lock of one group does not block another group; raising the fence waits for it', async () => {
  const { dir, store } = await storeWith(1);
  await store.putGroupState(web, { a: 1 });
  const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
  // A live holder (this process, another token): as if another manager were mid-write for web.
  const lock = join(dir, 'journal-locks', 's-web');
  await writeFile(lock, JSON.stringify({ pid: process.pid, bootId, host: 'h', token: 'other' }));
  await store.putGroupState(groupId('db'), { b: 1 });
  await store.putIntent({
    key: 'k',
    groupId: groupId('db'),
    operation: 'destroy',
    config: 'c',
    epoch: 1,
    at: 'now',
  });
  const unavailable = (error: unknown) => {
    assert.ok(TendError.is(error, 'unavailable'), String(error));
    assert.match(error.message, /s-web is still held/);
    return true;
  };
  await assert.rejects(store.putGroupState(web, { a: 2 }), unavailable);
  await assert.rejects(store.raiseFence(2), unavailable);
  await unlink(lock);
  await store.raiseFence(3);
  await assert.rejects(store.putGroupState(web, { a: 3 }, { epoch: 2 }), (e: unknown) =>
    TendError.is(e, 'fenced'),
  );
  assert.deepEqual(await store.getGroupState(web), { a: 1 });
});
