import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { TokenBackend, TokenRecord } from './token-backend.js';
import { TokenStore } from './token-store.js';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tokenFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tend-tokens-'));
  dirs.push(dir);
  return join(dir, 'tokens.json');
}

test('a token revoked through this store is refused on the very next verify', async () => {
  const store = await TokenStore.open({ file: await tokenFile(), now: () => 0 });
  const { token } = await store.create('ops', 'operator');
  assert.deepEqual(await store.verify(token), { name: 'ops', role: 'operator' });
  await store.revoke('ops');
  assert.equal(await store.verify(token), undefined);
});

test('a revocation by another manager sharing the file counts once the recheck interval passed', async () => {
  const file = await tokenFile();
  let now = 0;
  const mine = await TokenStore.open({ file, now: () => now });
  const other = await TokenStore.open({ file });
  const { token } = await other.create('ops', 'operator');
  // Unknown here yet: an unknown secret looks at the file again.
  now = 200;
  assert.deepEqual(await mine.verify(token), { name: 'ops', role: 'operator' });
  await other.revoke('ops');
  now = 700; // within the 1 s recheck: the known token still holds, no file access
  assert.deepEqual(await mine.verify(token), { name: 'ops', role: 'operator' });
  now = 1300;
  assert.equal(await mine.verify(token), undefined);
});

test('a damaged token file fails closed', async () => {
  const file = await tokenFile();
  let now = 0;
  // Waits for the read whatever the machine's load: this is about what a damaged set does.
  const store = await TokenStore.open({ file, now: () => now, readWaitMs: 60_000 });
  const { token } = await store.create('ops', 'viewer');
  await writeFile(file, '{ not json');
  now = 5000;
  await assert.rejects(store.verify(token));
  assert.equal(await store.verify(token).catch(() => undefined), undefined);
});

test('ephemeral tokens verify and are never listed', async () => {
  const store = await TokenStore.open({ file: await tokenFile() });
  const token = store.mintEphemeral('manager:m1', 'admin');
  assert.deepEqual(await store.verify(token), { name: 'manager:m1', role: 'admin' });
  assert.deepEqual(await store.list(), []);
});

test('a backend that stops answering (etcd paused) does not hold a verify: the last set read decides', async () => {
  let records: TokenRecord[] = [];
  let hang = false;
  let reads = 0;
  const backend: TokenBackend = {
    where: 'a backend that can hang',
    read: async () => {
      reads += 1;
      // Never settles, like a read of a SIGSTOPped etcd before its client's timeout.
      if (hang) return new Promise<never>(() => undefined);
      return { version: String(records.length), records };
    },
    add: async (record) => {
      records = [...records, record];
    },
    remove: async (name) => {
      records = records.filter((r) => r.name !== name);
    },
    close: async () => undefined,
  };
  let now = 0;
  const store = await TokenStore.open({ backend, now: () => now, readWaitMs: 0 });
  const { token } = await store.create('ops', 'viewer');
  hang = true;
  now = 5000;
  assert.deepEqual(await store.verify(token), { name: 'ops', role: 'viewer' });
  assert.deepEqual(await store.verify(token), { name: 'ops', role: 'viewer' });
  // The two verifies shared the one read still hanging; an unknown secret is still unknown.
  assert.equal(await store.verify('tend_not-a-token'), undefined);
  assert.equal(reads, 2, 'the read at open, then one read shared by every verify since');
});
