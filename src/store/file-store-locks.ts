import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileLockTimeoutError, KeyedSerial, removeStaleLockFiles, withFileLock } from '../lib/index.js';
import { TendError } from '../spi/index.js';
import { isNoSpace, type SpaceReserve } from './space-reserve.js';

/** Journal locks live here, one file per intent key (`i-…`) or planner state (`s-…`). */
const JOURNAL_LOCKS = 'journal-locks';

/** Removes lock side files left by killed processes, of the store lock and of every journal lock. */
export async function removeStaleSideFiles(dir: string): Promise<string[]> {
  const removed = await removeStaleLockFiles(join(dir, 'lock'));
  const locks = join(dir, JOURNAL_LOCKS);
  // Encoded names hold no dot, so what comes before the first one is the lock's name.
  const bases = new Set((await readdir(locks)).filter((e) => e.includes('.')).map((e) => e.split('.')[0]));
  for (const base of bases) {
    if (base) removed.push(...(await removeStaleLockFiles(join(locks, base))));
  }
  return removed;
}

/**
 * The file store's locks: `lock` for commits and fence raises, one journal lock per file for
 * intents and planner state. In one process, writes under the same lock queue in memory
 * instead of polling its file.
 */
export class StoreLocks {
  private readonly serial = new KeyedSerial();
  private readonly inFlight = new Set<Promise<unknown>>();

  private readonly options: { dir: string; lockTimeoutMs: number; reserve: SpaceReserve };

  constructor(options: { dir: string; lockTimeoutMs: number; reserve: SpaceReserve }) {
    this.options = options;
  }

  /** Every write in flight settled (for close). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Waits for every journal lock held right now (acquiring and releasing it, which also breaks
   * one left by a dead process). Called after the fence is written: a journal write that took its
   * lock before has finished, and one that takes it after reads the new fence.
   */
  async journalBarrier(): Promise<void> {
    const locks = join(this.options.dir, JOURNAL_LOCKS);
    for (const entry of await readdir(locks)) {
      if (entry.includes('.')) continue;
      await withFileLock(
        { path: join(locks, entry), timeoutMs: this.options.lockTimeoutMs },
        async () => undefined,
      );
    }
  }

  /**
   * Runs a write under the lock. On a full disk a `journal` write (intents, planner state, fence)
   * may use the space reserve once; a `commit` (history) never does and is refused while the
   * reserve is spent, so healing goes on while new specs fail naming ENOSPC.
   */
  run<T>(lock: 'commit' | 'fence' | string, fn: () => Promise<T>): Promise<T> {
    const kind = lock === 'commit' ? 'commit' : 'journal';
    const path =
      lock === 'commit' || lock === 'fence'
        ? join(this.options.dir, 'lock')
        : join(this.options.dir, JOURNAL_LOCKS, lock);
    const once = () => withFileLock({ path, timeoutMs: this.options.lockTimeoutMs }, fn);
    const attempt = async (): Promise<T> => {
      if (kind === 'commit' && this.options.reserve.low) await this.options.reserve.restore();
      if (kind === 'commit' && this.options.reserve.low) {
        throw new TendError(
          'unavailable',
          `file store ${this.options.dir}: ENOSPC: the data directory is full; commits are refused until space is freed (what is stored keeps running)`,
          { details: { dir: this.options.dir } },
        );
      }
      try {
        const result = await once();
        await this.options.reserve.restore();
        return result;
      } catch (error) {
        if (kind === 'journal' && isNoSpace(error) && (await this.options.reserve.release())) return once();
        throw error;
      }
    };
    const run = async (): Promise<T> => {
      try {
        return await attempt();
      } catch (error) {
        if (error instanceof FileLockTimeoutError) {
          throw new TendError('unavailable', `file store ${this.options.dir}: ${error.message}`, {
            cause: error,
          });
        }
        if (error instanceof TendError) throw error;
        throw new TendError('unavailable', `file store ${this.options.dir}: ${toError(error).message}`, {
          cause: error,
          details: { dir: this.options.dir },
        });
      }
    };
    const result = this.serial.run(lock === 'fence' ? 'commit' : lock, run);
    this.inFlight.add(result);
    void result.then(
      () => this.inFlight.delete(result),
      () => this.inFlight.delete(result),
    );
    return result;
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
