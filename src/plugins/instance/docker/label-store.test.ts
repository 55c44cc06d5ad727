import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TendError } from '../../../spi/index.js';
import { LabelStore } from './label-store.js';

test('overrides merge, persist across instances and are forgotten', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tend-labels-'));
  try {
    const store = new LabelStore({ stateDir: dir });
    await store.merge('c1', { a: '1', b: '2' });
    await store.merge('c1', { b: '3' });
    await store.merge('c2', { z: '9' });
    assert.deepEqual(await store.get('c1'), { a: '1', b: '3' });
    assert.deepEqual([...(await store.overriddenKeys())].sort(), ['a', 'b', 'z']);

    const reopened = new LabelStore({ stateDir: dir });
    assert.deepEqual(await reopened.get('c1'), { a: '1', b: '3' });
    await reopened.forget('c1');
    assert.equal(await reopened.get('c1'), undefined);
    const onDisk = JSON.parse(await readFile(join(dir, 'label-overrides.json'), 'utf8'));
    assert.deepEqual(onDisk, { c2: { z: '9' } });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('concurrent merges all land', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tend-labels-'));
  try {
    const store = new LabelStore({ stateDir: dir });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.merge(`c${i}`, { n: String(i) })));
    const reopened = new LabelStore({ stateDir: dir });
    for (let i = 0; i < 20; i++) assert.deepEqual(await reopened.get(`c${i}`), { n: String(i) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a corrupt file is reported, naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tend-labels-'));
  try {
    await writeFile(join(dir, 'label-overrides.json'), '{"c1": {"a": 1}}');
    await assert.rejects(
      new LabelStore({ stateDir: dir }).get('c1'),
      (error: unknown) => TendError.is(error, 'internal') && error.message.includes('label-overrides.json'),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('without a state directory overrides live in memory', async () => {
  const store = new LabelStore({});
  await store.merge('c1', { a: '1' });
  assert.deepEqual(await store.get('c1'), { a: '1' });
});
