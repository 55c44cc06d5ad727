import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, type Logger, writeFileAtomic } from '../lib/index.js';

/** Room kept back for the journal: far more than the intents and states of a busy manager. */
export const RESERVE_BYTES = 256 * 1024;
/** While the disk is full, how often a write tries to put the reserve back. */
const RESTORE_EVERY_MS = 5_000;

export function isNoSpace(error: unknown): boolean {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : undefined;
  return errorCode(error) === 'ENOSPC' || (cause !== undefined && errorCode(cause) === 'ENOSPC');
}

/**
 * A file of zeros that the file store keeps beside its data (`reserve`). When the disk fills
 * up, the first journal write that fails with ENOSPC deletes it and is tried again, so the
 * leader keeps healing (intents, planner state) on what is stored, while commits are refused
 * with an error naming ENOSPC until the reserve could be put back (someone freed space).
 */
export class SpaceReserve {
  private readonly file: string;
  private readonly logger: Logger;
  private released = false;
  private lastTry = 0;

  constructor(options: { dir: string; logger: Logger }) {
    this.file = join(options.dir, 'reserve');
    this.logger = options.logger;
  }

  /** True while the reserve is spent: only the journal may write. */
  get low(): boolean {
    return this.released;
  }

  /** Makes sure the reserve exists; on a disk already full the store starts without one. */
  async ensure(): Promise<void> {
    const size = await stat(this.file).then(
      (info) => info.size,
      () => 0,
    );
    if (size >= RESERVE_BYTES) return;
    try {
      await writeFileAtomic(this.file, '\0'.repeat(RESERVE_BYTES));
      this.released = false;
    } catch (error) {
      if (!isNoSpace(error)) throw error;
      this.released = true;
      this.logger.error('data directory full: no space reserved for the journal', { file: this.file });
    }
  }

  /** Frees the reserve for a journal write that hit ENOSPC; false if there was none left. */
  async release(): Promise<boolean> {
    try {
      await unlink(this.file);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') {
        this.released = true;
        return false;
      }
      throw error;
    }
    this.released = true;
    this.lastTry = Date.now();
    this.logger.error('data directory full: reserve released for the journal; commits are refused', {
      file: this.file,
    });
    return true;
  }

  /** After a successful write while low: space may have been freed; put the reserve back. */
  async restore(): Promise<void> {
    if (!this.released || Date.now() - this.lastTry < RESTORE_EVERY_MS) return;
    this.lastTry = Date.now();
    await this.ensure().catch(() => undefined);
    if (!this.released)
      this.logger.info('data directory has room again: reserve restored', { file: this.file });
  }
}
