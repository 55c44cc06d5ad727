import { join } from 'node:path';
import { TAG_EPOCH, type Tags, TendError } from '../spi/index.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import { FileLockTimeoutError, withFileLock } from './file-lock.js';

/**
 * The plugin side of fencing (ARCHITECTURE.md §5, docs/protocol.md "Fencing"). A plugin remembers
 * the highest leader epoch it has seen on a mutating call and refuses, with kind `fenced`, a
 * mutating call from an older one: that caller's term is over, even if it does not know yet (a
 * leader paused past its lease wakes with calls in flight). Calls without an epoch are not Tend's
 * (an InfraKit CLI) and pass. Every built-in instance plugin uses one of these two; so should
 * hosts, ec2 and any plugin written in TypeScript.
 */
export interface EpochFence {
  /**
   * Runs `act` unless `epoch` is older than the highest seen; a newer one becomes the highest
   * first. For a durable fence this is atomic with other processes' `guard` on the same file,
   * so `act` (e.g. recording a created instance) can never land after a newer epoch's action.
   */
  guard<T>(epoch: number | undefined, what: string, act: () => Promise<T> | T): Promise<T>;
  /** Refuses an epoch older than the highest seen, without raising it or taking a lock: an early no. */
  check(epoch: number | undefined, what: string): Promise<void>;
  /** The highest epoch seen so far (0 before any). */
  highest(): Promise<number>;
}

/** The epoch of a mutating call: `CallOptions.epoch`, else the spec's `tend.epoch` tag. */
export function callEpoch(options: { epoch?: number } | undefined, tags?: Tags): number | undefined {
  if (options?.epoch !== undefined) return checkedEpoch(options.epoch, 'epoch');
  const tag = tags?.[TAG_EPOCH];
  if (tag === undefined) return undefined;
  if (!/^\d{1,15}$/.test(tag)) {
    throw new TendError(
      'invalid_spec',
      `tag ${TAG_EPOCH}: expected a whole number, got ${JSON.stringify(tag)}`,
    );
  }
  return Number(tag);
}

function checkedEpoch(epoch: number, field: string): number {
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new TendError('invalid_spec', `${field}: expected a whole number ≥ 0, got ${epoch}`);
  }
  return epoch;
}

function refusal(plugin: string, what: string, epoch: number, highest: number, where?: string): TendError {
  const seen = where === undefined ? '' : ` (recorded in ${where})`;
  return new TendError(
    'fenced',
    `${plugin}: ${what} refused: epoch ${epoch} is older than epoch ${highest} already seen${seen}; ` +
      'a newer leader is acting',
    { details: { plugin, epoch, highest, ...(where === undefined ? {} : { file: where }) } },
  );
}

/**
 * A fence in memory: right for a plugin object that every manager reaches (a plugin process
 * serving several managers, a simulator shared in one process). Forgotten on restart.
 */
export class MemoryEpochFence implements EpochFence {
  private readonly plugin: string;
  private top = 0;

  constructor(options: { plugin: string }) {
    this.plugin = options.plugin;
  }

  async guard<T>(epoch: number | undefined, what: string, act: () => Promise<T> | T): Promise<T> {
    this.admit(epoch, what);
    return act();
  }

  async check(epoch: number | undefined, what: string): Promise<void> {
    if (epoch !== undefined && epoch < this.top) throw refusal(this.plugin, what, epoch, this.top);
  }

  /** The synchronous check, for plugins whose effect is synchronous too. */
  admit(epoch: number | undefined, what: string): void {
    if (epoch === undefined) return;
    if (epoch < this.top) throw refusal(this.plugin, what, epoch, this.top);
    this.top = epoch;
  }

  async highest(): Promise<number> {
    return this.top;
  }
}

export interface FileEpochFenceOptions {
  plugin: string;
  /** Directory shared by every manager driving the platform (the process plugin's state dir). */
  dir: string;
  /** How long a guard waits for another process holding the fence's lock. Default 10 s. */
  lockTimeoutMs?: number;
}

/**
 * A fence in a file (`epoch-fence.json`, replaced atomically), so that it holds across managers
 * on one machine and across restarts. Read and raised under a lock file beside it, with the
 * guarded action inside the lock: a paused holder delays the others rather than racing them.
 * Epochs never go down; if a leadership backend was replaced and counts from 1 again, every
 * call is refused with a message naming the file, which the operator removes.
 */
export class FileEpochFence implements EpochFence {
  private readonly plugin: string;
  private readonly file: string;
  private readonly lock: string;
  private readonly lockTimeoutMs: number;

  constructor(options: FileEpochFenceOptions) {
    this.plugin = options.plugin;
    this.file = join(options.dir, 'epoch-fence.json');
    this.lock = join(options.dir, 'epoch-fence.lock');
    this.lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  }

  async guard<T>(epoch: number | undefined, what: string, act: () => Promise<T> | T): Promise<T> {
    if (epoch === undefined) return act();
    try {
      return await withFileLock({ path: this.lock, timeoutMs: this.lockTimeoutMs }, async () => {
        const top = await this.read();
        if (epoch < top) throw refusal(this.plugin, what, epoch, top, this.file);
        if (epoch > top) await this.write(epoch);
        return act();
      });
    } catch (error) {
      if (error instanceof FileLockTimeoutError) {
        throw new TendError('unavailable', `${this.plugin}: ${what}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  async check(epoch: number | undefined, what: string): Promise<void> {
    if (epoch === undefined) return;
    const top = await this.read();
    if (epoch < top) throw refusal(this.plugin, what, epoch, top, this.file);
  }

  highest(): Promise<number> {
    return this.read();
  }

  private async read(): Promise<number> {
    const text = await readFileIfExists(this.file).catch((error: unknown) => {
      throw new TendError('unavailable', `${this.plugin}: cannot read ${this.file}`, { cause: error });
    });
    if (text === undefined) return 0;
    let epoch: unknown;
    try {
      epoch = (JSON.parse(text) as { epoch?: unknown }).epoch;
    } catch {
      epoch = undefined;
    }
    // Damaged: refusing everything is safer than starting again from 0, which would let a deposed
    // leader act; the message says which file to look at.
    if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
      throw new TendError(
        'internal',
        `${this.plugin}: fence file ${this.file} is damaged: ${text.slice(0, 80)}`,
        {
          details: { file: this.file },
        },
      );
    }
    return epoch;
  }

  private async write(epoch: number): Promise<void> {
    try {
      await writeFileAtomic(this.file, `${JSON.stringify({ epoch })}\n`);
    } catch (error) {
      throw new TendError('unavailable', `${this.plugin}: cannot write fence file ${this.file}`, {
        cause: error,
      });
    }
  }
}
