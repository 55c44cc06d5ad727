import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runStoreContract } from '../../test/support/contract/store-contract.js';
import { groupId, TendError } from '../spi/index.js';
import { FileStore } from './file-store.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tend-file-store-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

runStoreContract('FileStore', async () => {
  const dir = await tempDir();
  return {
    store: await FileStore.create({ dir }),
    reopen: () => FileStore.create({ dir }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

const web = groupId('web');

async function storeWithHistory(count: number): Promise<{ dir: string; store: FileStore; file: string }> {
  const dir = await tempDir();
  const store = await FileStore.create({ dir });
  for (let i = 1; i <= count; i++)
    await store.commit({ groupId: web, spec: { n: i }, author: 'a', reason: 'r' });
  return { dir, store, file: join(dir, 'groups', 'web.jsonl') };
}

function isInternalAbout(file: string, words: RegExp) {
  return (error: unknown) => {
    assert.ok(TendError.is(error, 'internal'), String(error));
    assert.ok(error.message.includes(file), `message names the file: ${error.message}`);
    assert.match(error.message, words);
    return true;
  };
}

describe('FileStore on damaged files', () => {
  test('a torn last line marks only its group damaged; the others are listed and take commits', async () => {
    const { store, file } = await storeWithHistory(2);
    const db = groupId('db');
    await store.commit({ groupId: db, spec: { n: 1 }, author: 'a', reason: 'r' });
    await truncate(file, (await readFile(file)).length - 5);
    assert.deepEqual(
      (await store.list()).map((r) => r.groupId),
      [db],
    );
    const damaged = await store.listDamaged();
    assert.deepEqual(
      damaged.map((d) => d.groupId),
      [web],
    );
    assert.match(
      damaged[0]?.problem ?? '',
      /web\.jsonl line 2: cut short.*latest revision of group web is unknown/,
    );
    assert.equal((await store.commit({ groupId: db, spec: 2, author: 'a', reason: 'r' })).revision, 2);
    await assert.rejects(
      store.remove(web, { author: 'a', reason: 'r' }),
      isInternalAbout(file, /cannot be read or committed/),
    );
  });

  test('an empty history file is damaged like a torn one, and a commit does not restart at 1', async () => {
    const { store, file } = await storeWithHistory(10);
    await writeFile(file, '');
    assert.deepEqual(await store.list(), []);
    const [damaged] = await store.listDamaged();
    assert.equal(damaged?.groupId, web);
    assert.match(
      damaged?.problem ?? '',
      /web\.jsonl line 1: the file is empty.*no earlier revision is stored/,
    );
    await assert.rejects(
      store.commit({ groupId: web, spec: 11, author: 'a', reason: 'r' }),
      isInternalAbout(file, /the file is empty/),
    );
    assert.equal((await readFile(file, 'utf8')).length, 0, 'the damaged file is left for repair');
    assert.equal((await store.verify()).length, 1);
  });

  test('the intact-revision count in the message is the real one', async () => {
    const { store, file } = await storeWithHistory(10);
    await truncate(file, (await readFile(file)).length - 3);
    assert.equal((await store.history(web)).length, 9);
    await assert.rejects(store.latest(web), isInternalAbout(file, /among the 9 lines before it/));
  });

  test('a truncated last line: intact history kept, latest and commit refuse with the file named', async () => {
    const { store, file } = await storeWithHistory(3);
    const size = (await readFile(file)).length;
    await truncate(file, size - 10);
    assert.deepEqual(
      (await store.history(web)).map((r) => r.revision),
      [1, 2],
    );
    await assert.rejects(store.latest(web), isInternalAbout(file, /line 3: cut short .*truncated/));
    await assert.rejects(
      store.commit({ groupId: web, spec: 4, author: 'a', reason: 'r' }),
      isInternalAbout(file, /line 3.*among the 2 lines before it/),
    );
    const problems = await store.verify();
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.message ?? '', /web\.jsonl line 3/);
  });

  test('a corrupt middle line is reported and skipped, and kept byte for byte by later commits', async () => {
    const { store, file } = await storeWithHistory(3);
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[1] = '{"groupId":"web","revision":2,"sp@@ garbage';
    await writeFile(file, lines.join('\n'));
    assert.deepEqual(
      (await store.history(web)).map((r) => r.revision),
      [1, 3],
    );
    assert.equal((await store.latest(web))?.revision, 3);
    const next = await store.commit({ groupId: web, spec: 4, author: 'a', reason: 'r' });
    assert.equal(next.revision, 4);
    assert.ok((await readFile(file, 'utf8')).includes('sp@@ garbage'));
    const problems = await store.verify();
    assert.deepEqual(
      problems.map((p) => p.message.replace(file, 'F')),
      [problems[0]?.message.replace(file, 'F')],
    );
    assert.match(problems[0]?.message ?? '', /line 2: not valid JSON/);
  });

  test('raising the fence to its current epoch does not rewrite the file', async () => {
    const { dir, store } = await storeWithHistory(0);
    await store.raiseFence(3);
    const before = await stat(join(dir, 'fence.json'));
    await store.raiseFence(3);
    assert.equal((await stat(join(dir, 'fence.json'))).ino, before.ino);
    assert.equal(await store.currentFence(), 3);
  });

  test('a damaged fence file stops fenced writes and is never read as 0', async () => {
    const { dir, store } = await storeWithHistory(1);
    await store.raiseFence(4);
    const file = join(dir, 'fence.json');
    await writeFile(file, '{"epo');
    await assert.rejects(store.currentFence(), isInternalAbout(file, /damaged: not valid JSON/));
    await assert.rejects(store.putGroupState(web, 1, { epoch: 1 }), isInternalAbout(file, /damaged/));
    await assert.rejects(store.raiseFence(9), isInternalAbout(file, /damaged/));
  });

  test('a damaged intent file is skipped; a damaged state file throws naming it', async () => {
    const { dir, store } = await storeWithHistory(0);
    const intent = {
      key: 'ok',
      groupId: web,
      operation: 'destroy' as const,
      config: 'c',
      epoch: 1,
      at: 'now',
    };
    await store.putIntent(intent);
    await store.putIntent({ ...intent, key: 'bad' });
    await writeFile(join(dir, 'intents', 'bad.json'), '{"key":"bad","operation":"explode"}');
    assert.deepEqual(await store.listIntents(), [intent]);
    await store.putGroupState(web, { a: 1 });
    const stateFile = join(dir, 'state', 'web.json');
    await writeFile(stateFile, '');
    await assert.rejects(store.getGroupState(web), isInternalAbout(stateFile, /damaged/));
    assert.equal((await store.verify()).length, 2);
  });
});

describe('FileStore lock between processes', () => {
  test('lock side files left by killed processes are removed when a store opens', async () => {
    const dir = await tempDir();
    await FileStore.create({ dir });
    const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
    const dead = spawn(process.execPath, ['-e', '']);
    const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid ?? 0)));
    const owner = (pid: number, token: string) => JSON.stringify({ pid, bootId, host: 'h', token });
    await writeFile(join(dir, 'lock.deadbeef00000001'), owner(deadPid, 'deadbeef00000001'));
    await writeFile(join(dir, 'lock.break'), owner(deadPid, 'b'));
    await writeFile(join(dir, 'lock.deadbeef00000002'), owner(process.pid, 'deadbeef00000002'));
    await writeFile(join(dir, 'lock.00000003'), '');
    const store = await FileStore.create({ dir });
    // The live owner's file and a fresh empty one (it may be mid-write) stay.
    assert.deepEqual((await readdir(dir)).filter((e) => e.startsWith('lock')).sort(), [
      'lock.00000003',
      'lock.deadbeef00000002',
    ]);
    await store.commit({ groupId: web, spec: 1, author: 'a', reason: 'works after the cleanup' });
  });

  test('a lock left by a dead process is broken; one held by a live process times out as unavailable', async () => {
    const dir = await tempDir();
    const store = await FileStore.create({ dir, lockTimeoutMs: 200 });
    const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
    const dead = spawn(process.execPath, ['-e', '']);
    const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid ?? 0)));
    const lock = join(dir, 'lock');
    await writeFile(lock, JSON.stringify({ pid: deadPid, bootId, host: 'h', token: 'stale' }));
    await store.commit({ groupId: web, spec: 1, author: 'a', reason: 'after a crash' });
    await writeFile(
      lock,
      JSON.stringify({ pid: process.pid, bootId: 'another-boot', host: 'h', token: 'old' }),
    );
    await store.commit({ groupId: web, spec: 2, author: 'a', reason: 'after a reboot' });
    await writeFile(lock, JSON.stringify({ pid: process.pid, bootId, host: 'h', token: 'live' }));
    await assert.rejects(
      store.commit({ groupId: web, spec: 3, author: 'a', reason: 'r' }),
      (error: unknown) => {
        assert.ok(TendError.is(error, 'unavailable'), String(error));
        assert.match(error.message, new RegExp(`${lock} is still held by pid ${process.pid}`));
        return true;
      },
    );
    assert.equal((await store.latest(web))?.revision, 2);
  });

  test('processes committing at once lose no update', async () => {
    const dir = await tempDir();
    const script = `
      import { FileStore } from ${JSON.stringify(new URL('./file-store.ts', import.meta.url).href)};
      const store = await FileStore.create({ dir: process.argv[1] });
      for (let i = 0; i < 15; i++) await store.commit({ groupId: 'web', spec: i, author: process.argv[2], reason: 'r' });
    `;
    const children = [0, 1, 2].map(
      (n) =>
        new Promise<number | null>((resolve) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', '--input-type=module', '-e', script, dir, `p${n}`],
            {
              stdio: ['ignore', 'ignore', 'inherit'],
            },
          );
          child.on('exit', (code) => resolve(code));
        }),
    );
    assert.deepEqual(await Promise.all(children), [0, 0, 0]);
    const store = await FileStore.create({ dir });
    const history = await store.history(web);
    assert.deepEqual(
      history.map((r) => r.revision),
      Array.from({ length: 45 }, (_, i) => i + 1),
    );
    assert.deepEqual(await store.verify(), []);
  });
});
