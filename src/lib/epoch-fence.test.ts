import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TendError } from '../spi/index.js';
import { callEpoch, FileEpochFence, MemoryEpochFence } from './epoch-fence.js';

const fenced = (error: unknown) => TendError.is(error, 'fenced');

describe('callEpoch', () => {
  it('takes CallOptions.epoch first, then the tend.epoch tag, else none', () => {
    assert.equal(callEpoch({ epoch: 7 }, { 'tend.epoch': '3' }), 7);
    assert.equal(callEpoch({}, { 'tend.epoch': '3' }), 3);
    assert.equal(callEpoch(undefined, {}), undefined);
  });

  it('refuses an epoch that is not a whole number, naming the tag', () => {
    assert.throws(
      () => callEpoch({}, { 'tend.epoch': 'x1' }),
      (error: unknown) => TendError.is(error, 'invalid_spec') && /tend\.epoch/.test(error.message),
    );
    assert.throws(
      () => callEpoch({ epoch: -1 }),
      (error: unknown) => TendError.is(error, 'invalid_spec'),
    );
  });
});

describe('MemoryEpochFence', () => {
  it('refuses an older epoch once a newer one acted; equal, newer and absent pass', async () => {
    const fence = new MemoryEpochFence({ plugin: 'test' });
    fence.admit(5, 'provision');
    fence.admit(5, 'provision');
    fence.admit(undefined, 'provision');
    fence.admit(6, 'destroy');
    assert.throws(() => fence.admit(5, 'provision'), fenced);
    assert.equal(await fence.highest(), 6);
    let ran = false;
    await assert.rejects(
      fence.guard(4, 'label', () => {
        ran = true;
      }),
      fenced,
    );
    assert.equal(ran, false, 'a refused action does not run');
  });
});

describe('FileEpochFence', () => {
  const withDir = async (body: (dir: string) => Promise<void>) => {
    const dir = await mkdtemp(join(tmpdir(), 'tend-fence-'));
    try {
      await body(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('is shared by every object on the directory and survives a restart', () =>
    withDir(async (dir) => {
      const newer = new FileEpochFence({ plugin: 'process plugin', dir });
      const older = new FileEpochFence({ plugin: 'process plugin', dir });
      assert.equal(await older.guard(3, 'provision', () => 'ok'), 'ok');
      await newer.guard(4, 'provision', () => undefined);
      await assert.rejects(
        older.guard(3, 'provision of proc-1', () => undefined),
        (error: unknown) => {
          assert.ok(fenced(error));
          assert.match(String((error as Error).message), /epoch 3 is older than epoch 4/);
          assert.match(String((error as Error).message), /epoch-fence\.json/);
          return true;
        },
      );
      const restarted = new FileEpochFence({ plugin: 'process plugin', dir });
      assert.equal(await restarted.highest(), 4);
      await assert.rejects(
        restarted.guard(3, 'destroy', () => undefined),
        fenced,
      );
      assert.deepEqual(JSON.parse(await readFile(join(dir, 'epoch-fence.json'), 'utf8')), { epoch: 4 });
    }));

  it('a damaged fence file refuses every fenced call instead of starting from 0', () =>
    withDir(async (dir) => {
      await writeFile(join(dir, 'epoch-fence.json'), '{"epo');
      const fence = new FileEpochFence({ plugin: 'process plugin', dir });
      await assert.rejects(
        fence.guard(9, 'provision', () => undefined),
        (error: unknown) => TendError.is(error, 'internal') && /damaged/.test(String(error.message)),
      );
      assert.equal(await fence.guard(undefined, 'provision', () => 'unfenced'), 'unfenced');
    }));

  it('the guarded action runs inside the lock: a raise waits for it', () =>
    withDir(async (dir) => {
      const a = new FileEpochFence({ plugin: 'p', dir });
      const b = new FileEpochFence({ plugin: 'p', dir });
      const order: string[] = [];
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let entered: () => void = () => {};
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const first = a.guard(1, 'provision', async () => {
        entered();
        await held;
        order.push('epoch 1 recorded');
      });
      await inside;
      const second = b.guard(2, 'provision', () => {
        order.push('epoch 2 acted');
      });
      release();
      await Promise.all([first, second]);
      assert.deepEqual(order, ['epoch 1 recorded', 'epoch 2 acted']);
    }));
});
