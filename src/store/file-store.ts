import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Clock,
  errorCode,
  FileLockTimeoutError,
  type Logger,
  readFileIfExists,
  removeStaleLockFiles,
  silentLogger,
  syncDirectory,
  systemClock,
  withFileLock,
  writeFileAtomic,
} from '../lib/index.js';
import {
  type CommitInput,
  type ConfigStore,
  type DamagedGroup,
  type GroupId,
  type Intent,
  type JsonValue,
  type SpecRevision,
  TendError,
  groupId as toGroupId,
  toTendError,
  type WriteOptions,
} from '../spi/index.js';
import { type ParsedHistory, parseHistory, serializeHistory, unknownLatest } from './file-history.js';
import {
  checkExpected,
  checkFence,
  checkRaise,
  decodeName,
  encodeName,
  fenceSchema,
  groupStateSchema,
  intentSchema,
  nextRevision,
  notFound,
  parseRecord,
  toIntent,
  tombstone,
} from './records.js';
import { isNoSpace, SpaceReserve } from './space-reserve.js';

export interface FileStoreOptions {
  dir: string;
  clock?: Clock;
  logger?: Logger;
  /** How long a write waits for another process holding the store's lock (default 10 s). */
  lockTimeoutMs?: number;
}

/**
 * A ConfigStore in a directory, safe to share between processes on one machine:
 *   fence.json, groups/<group>.jsonl (history, JSON lines), intents/<key>.json, state/<group>.json.
 * Every file is replaced atomically (temp, fsync, rename, fsync dir), so readers need no lock and a
 * crash leaves the old or the new file. Read-modify-write runs under `lock` (see lib/file-lock.ts).
 */
export class FileStore implements ConfigStore {
  private readonly dir: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly lockTimeoutMs: number;
  /** Serializes this object's writes so they queue here instead of polling the lock file. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly reserve: SpaceReserve;

  private constructor(options: FileStoreOptions) {
    this.dir = options.dir;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ component: 'store', backend: 'file' });
    this.lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.reserve = new SpaceReserve({ dir: options.dir, logger: this.logger });
  }

  static async create(options: FileStoreOptions): Promise<FileStore> {
    for (const sub of ['', 'groups', 'intents', 'state']) {
      await mkdir(join(options.dir, sub), { recursive: true, mode: 0o700 });
    }
    const store = new FileStore(options);
    await store.reserve.ensure();
    // A process killed while taking the lock leaves side files that nothing else would remove.
    const removed = await removeStaleLockFiles(join(options.dir, 'lock'));
    if (removed.length > 0) store.logger.info('stale lock files removed', { dir: options.dir, removed });
    return store;
  }

  async commit(input: CommitInput): Promise<SpecRevision> {
    return this.locked('commit', async () => {
      checkFence(input.epoch, await this.readFence(), `commit to group ${input.groupId}`);
      const { file, parsed } = await this.readHistory(input.groupId, true);
      if (!parsed.tailIntact) throw unknownLatest(file, input.groupId, parsed);
      const latest = parsed.revisions.at(-1)?.revision ?? 0;
      checkExpected(input.groupId, input.expectedRevision, latest);
      const revision = nextRevision(input, latest, this.clock.now());
      await writeFileAtomic(file, serializeHistory([...parsed.lines, JSON.stringify(revision)]));
      return revision;
    });
  }

  async latest(groupId: GroupId): Promise<SpecRevision | undefined> {
    const { file, parsed } = await this.readHistory(groupId, true);
    if (!parsed.tailIntact) throw unknownLatest(file, groupId, parsed);
    return parsed.revisions.at(-1);
  }

  async list(): Promise<SpecRevision[]> {
    return (await this.scanGroups()).groups;
  }

  async listDamaged(): Promise<DamagedGroup[]> {
    return (await this.scanGroups()).damaged;
  }

  async history(groupId: GroupId): Promise<SpecRevision[]> {
    return (await this.readHistory(groupId)).parsed.revisions;
  }

  async remove(groupId: GroupId, input: { author: string; reason: string } & WriteOptions): Promise<void> {
    await this.locked('commit', async () => {
      checkFence(input.epoch, await this.readFence(), `remove of group ${groupId}`);
      const { file, parsed } = await this.readHistory(groupId, true);
      if (!parsed.tailIntact) throw unknownLatest(file, groupId, parsed);
      const last = parsed.revisions.at(-1);
      if (last === undefined || last.deleted === true) throw notFound(groupId);
      const removed = tombstone(groupId, last.revision, input, this.clock.now());
      await writeFileAtomic(file, serializeHistory([...parsed.lines, JSON.stringify(removed)]));
    });
  }

  async putIntent(intent: Intent, options: WriteOptions = {}): Promise<void> {
    await this.locked('journal', async () => {
      checkFence(options.epoch, await this.readFence(), `putIntent ${intent.key}`);
      await writeFileAtomic(this.path('intents', intent.key, '.json'), JSON.stringify(intent));
    });
  }

  async clearIntent(key: string, options: WriteOptions = {}): Promise<void> {
    await this.locked('journal', async () => {
      checkFence(options.epoch, await this.readFence(), `clearIntent ${key}`);
      try {
        await unlink(this.path('intents', key, '.json'));
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw error;
      }
      await syncDirectory(join(this.dir, 'intents'));
    });
  }

  /** Intent files are independent: a damaged one is reported and skipped, the others are returned. */
  async listIntents(): Promise<Intent[]> {
    const out: Intent[] = [];
    for (const key of await this.names('intents', '.json')) {
      const file = this.path('intents', key, '.json');
      const text = await readFileIfExists(file);
      if (text === undefined) continue;
      const result = parseRecord(intentSchema, text);
      if (result.ok) out.push(toIntent(result.value));
      else this.logger.warn('intent file damaged, skipped', { file, problem: result.problem });
    }
    return out;
  }

  async putGroupState(groupId: GroupId, state: JsonValue, options: WriteOptions = {}): Promise<void> {
    await this.locked('journal', async () => {
      checkFence(options.epoch, await this.readFence(), `putGroupState for group ${groupId}`);
      await writeFileAtomic(this.path('state', groupId, '.json'), JSON.stringify({ groupId, state }));
    });
  }

  /** A damaged state file throws: silently forgetting rollout progress would be worse. */
  async getGroupState(groupId: GroupId): Promise<JsonValue | undefined> {
    const file = this.path('state', groupId, '.json');
    const text = await readFileIfExists(file);
    if (text === undefined) return undefined;
    const result = parseRecord(groupStateSchema, text);
    if (!result.ok) throw damagedFile(file, result.problem);
    return result.value.state as JsonValue;
  }

  async raiseFence(epoch: number): Promise<void> {
    // A leader re-raising its own fence changes nothing, so it takes no lock either: taking one
    // writes a file, and on a full disk that would end every term of a static leader.
    if ((await this.readFence()) === epoch) return;
    await this.locked('journal', async () => {
      const fence = await this.readFence();
      checkRaise(epoch, fence);
      // A leader re-raising its own fence changes nothing; not writing keeps a full disk from
      // ending every term of a static leader.
      if (epoch === fence) return;
      await writeFileAtomic(join(this.dir, 'fence.json'), JSON.stringify({ epoch }));
    });
  }

  async currentFence(): Promise<number> {
    return this.readFence();
  }

  /** Every problem found on disk, each naming its file; empty when all is well. */
  async verify(): Promise<TendError[]> {
    const problems: TendError[] = [];
    await this.readFence().catch((error: unknown) => problems.push(toTendError(error)));
    for (const id of await this.names('groups', '.jsonl')) {
      problems.push(...(await this.readHistory(toGroupId(id))).parsed.problems);
    }
    for (const key of await this.names('intents', '.json')) {
      const file = this.path('intents', key, '.json');
      const text = await readFileIfExists(file);
      if (text === undefined) continue;
      const result = parseRecord(intentSchema, text);
      if (!result.ok) problems.push(damagedFile(file, result.problem));
    }
    for (const id of await this.names('state', '.json')) {
      await this.getGroupState(toGroupId(id)).catch((error: unknown) => problems.push(toTendError(error)));
    }
    return problems;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  private path(sub: string, name: string, extension: string): string {
    return join(this.dir, sub, `${encodeName(name)}${extension}`);
  }

  /** Decoded names of the files in `sub` with `extension` (temp files and strays are ignored). */
  private async names(sub: string, extension: string): Promise<string[]> {
    const out: string[] = [];
    for (const entry of (await readdir(join(this.dir, sub))).sort()) {
      if (!entry.endsWith(extension) || entry.startsWith('.')) continue;
      const name = decodeName(entry.slice(0, -extension.length));
      if (name === undefined) this.logger.warn('file name is not an encoded name, ignored', { sub, entry });
      else out.push(name);
    }
    return out;
  }

  /** Every group's latest revision; a damaged tail marks only its own group. */
  private async scanGroups(): Promise<{ groups: SpecRevision[]; damaged: DamagedGroup[] }> {
    const groups: SpecRevision[] = [];
    const damaged: DamagedGroup[] = [];
    for (const name of await this.names('groups', '.jsonl')) {
      const id = toGroupId(name);
      const { file, parsed } = await this.readHistory(id, true);
      if (!parsed.tailIntact) {
        damaged.push({ groupId: id, problem: unknownLatest(file, id, parsed).message });
        continue;
      }
      const latest = parsed.revisions.at(-1);
      if (latest !== undefined && latest.deleted !== true) groups.push(latest);
    }
    return { groups, damaged };
  }

  private async readHistory(
    groupId: GroupId,
    tailOnly = false,
  ): Promise<{ file: string; parsed: ParsedHistory }> {
    const file = this.path('groups', groupId, '.jsonl');
    const parsed = parseHistory(await readFileIfExists(file), file, groupId, { tailOnly });
    for (const problem of parsed.problems) {
      this.logger.warn('history file damaged, intact revisions kept', { file, problem: problem.message });
    }
    return { file, parsed };
  }

  /** The fence decides who may write; a damaged fence file must stop writes, never reset to 0. */
  private async readFence(): Promise<number> {
    const file = join(this.dir, 'fence.json');
    const text = await readFileIfExists(file);
    if (text === undefined) return 0;
    const result = parseRecord(fenceSchema, text);
    if (!result.ok) throw damagedFile(file, result.problem);
    return result.value.epoch;
  }

  /**
   * Runs a write under the lock. On a full disk a `journal` write (intents, planner state, fence)
   * may use the space reserve once; a `commit` (history) never does and is refused while the
   * reserve is spent, so healing goes on while new specs fail naming ENOSPC.
   */
  private locked<T>(kind: 'journal' | 'commit', fn: () => Promise<T>): Promise<T> {
    const once = () => withFileLock({ path: join(this.dir, 'lock'), timeoutMs: this.lockTimeoutMs }, fn);
    const attempt = async (): Promise<T> => {
      if (kind === 'commit' && this.reserve.low) await this.reserve.restore();
      if (kind === 'commit' && this.reserve.low) {
        throw new TendError(
          'unavailable',
          `file store ${this.dir}: ENOSPC: the data directory is full; commits are refused until space is freed (what is stored keeps running)`,
          { details: { dir: this.dir } },
        );
      }
      try {
        const result = await once();
        await this.reserve.restore();
        return result;
      } catch (error) {
        if (kind === 'journal' && isNoSpace(error) && (await this.reserve.release())) return once();
        throw error;
      }
    };
    const run = async (): Promise<T> => {
      try {
        return await attempt();
      } catch (error) {
        if (error instanceof FileLockTimeoutError) {
          throw new TendError('unavailable', `file store ${this.dir}: ${error.message}`, { cause: error });
        }
        if (error instanceof TendError) throw error;
        throw new TendError('unavailable', `file store ${this.dir}: ${toError(error).message}`, {
          cause: error,
          details: { dir: this.dir },
        });
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function damagedFile(file: string, problem: string): TendError {
  return new TendError('internal', `file ${file} is damaged: ${problem}`, { details: { file } });
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
