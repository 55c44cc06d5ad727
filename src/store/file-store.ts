import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Clock,
  errorCode,
  type Logger,
  readFileIfExists,
  silentLogger,
  syncDirectory,
  systemClock,
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
import { type ParsedHistory, parseHistory } from './file-history.js';
import { appendRevision, type LogFiles, readLogText, readTail } from './file-log.js';
import { removeStaleSideFiles, StoreLocks } from './file-store-locks.js';
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
import { SpaceReserve } from './space-reserve.js';

export interface FileStoreOptions {
  dir: string;
  clock?: Clock;
  logger?: Logger;
  /** How long a write waits for another process holding the store's lock (default 10 s). */
  lockTimeoutMs?: number;
}

/**
 * A ConfigStore in a directory, safe to share between processes on one machine:
 *   fence.json, groups/<group>.jsonl (append-only history) + groups/<group>.latest.json (its
 *   latest revision, see file-log.ts), intents/<key>.json, state/<group>.json.
 * Every other file is replaced atomically (temp, fsync, rename, fsync dir), so readers need no
 * lock and a crash leaves the old or the new file. Commits and fence raises run under `lock`
 * (see lib/file-lock.ts); journal writes (intents, planner state) under a lock of their own file
 * in `journal-locks/`, so one group's provisions never wait for another's. Raising the fence waits for
 * the journal locks held at that moment, so no write checked against the old fence lands after.
 */
export class FileStore implements ConfigStore {
  private readonly dir: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly lockTimeoutMs: number;
  private readonly reserve: SpaceReserve;
  private readonly locks: StoreLocks;

  private constructor(options: FileStoreOptions) {
    this.dir = options.dir;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ component: 'store', backend: 'file' });
    this.lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.reserve = new SpaceReserve({ dir: options.dir, logger: this.logger });
    this.locks = new StoreLocks({
      dir: options.dir,
      lockTimeoutMs: this.lockTimeoutMs,
      reserve: this.reserve,
    });
  }

  static async create(options: FileStoreOptions): Promise<FileStore> {
    for (const sub of ['', 'groups', 'intents', 'state', 'journal-locks']) {
      await mkdir(join(options.dir, sub), { recursive: true, mode: 0o700 });
    }
    const store = new FileStore(options);
    await store.reserve.ensure();
    // A process killed while taking the lock leaves side files that nothing else would remove.
    const removed = await removeStaleSideFiles(options.dir);
    if (removed.length > 0) store.logger.info('stale lock files removed', { dir: options.dir, removed });
    return store;
  }

  async commit(input: CommitInput): Promise<SpecRevision> {
    return this.locks.run('commit', async () => {
      checkFence(input.epoch, await this.readFence(), `commit to group ${input.groupId}`);
      const files = this.logFiles(input.groupId);
      const tail = await this.readTail(input.groupId);
      const latest = tail.latest?.revision ?? 0;
      checkExpected(input.groupId, input.expectedRevision, latest);
      const revision = nextRevision(input, latest, this.clock.now());
      await appendRevision(files, tail, revision);
      return revision;
    });
  }

  async latest(groupId: GroupId): Promise<SpecRevision | undefined> {
    return (await this.readTail(groupId)).latest;
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
    await this.locks.run('commit', async () => {
      checkFence(input.epoch, await this.readFence(), `remove of group ${groupId}`);
      const tail = await this.readTail(groupId);
      const last = tail.latest;
      if (last === undefined || last.deleted === true) throw notFound(groupId);
      const removed = tombstone(groupId, last.revision, input, this.clock.now());
      await appendRevision(this.logFiles(groupId), tail, removed);
    });
  }

  async putIntent(intent: Intent, options: WriteOptions = {}): Promise<void> {
    await this.locks.run(`i-${encodeName(intent.key)}`, async () => {
      checkFence(options.epoch, await this.readFence(), `putIntent ${intent.key}`);
      await writeFileAtomic(this.path('intents', intent.key, '.json'), JSON.stringify(intent));
    });
  }

  async clearIntent(key: string, options: WriteOptions = {}): Promise<void> {
    await this.locks.run(`i-${encodeName(key)}`, async () => {
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
    await this.locks.run(`s-${encodeName(groupId)}`, async () => {
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
    await this.locks.run('fence', async () => {
      const fence = await this.readFence();
      checkRaise(epoch, fence);
      if (epoch === fence) return;
      await writeFileAtomic(join(this.dir, 'fence.json'), JSON.stringify({ epoch }));
      await this.locks.journalBarrier();
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
    await this.locks.drain();
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
      const read = await readTail(this.logFiles(id), id);
      if (!read.ok) {
        this.warnDamaged(read.parsed);
        damaged.push({ groupId: id, problem: read.error.message });
        continue;
      }
      const latest = read.tail.latest;
      if (latest !== undefined && latest.deleted !== true) groups.push(latest);
    }
    return { groups, damaged };
  }

  private logFiles(groupId: GroupId): LogFiles {
    return {
      log: this.path('groups', groupId, '.jsonl'),
      record: this.path('groups', groupId, '.latest.json'),
      dir: join(this.dir, 'groups'),
    };
  }

  /** The latest revision and where to append; throws naming the file when the log's end is damaged. */
  private async readTail(groupId: GroupId) {
    const read = await readTail(this.logFiles(groupId), groupId);
    if (read.ok) return read.tail;
    this.warnDamaged(read.parsed);
    throw read.error;
  }

  private async readHistory(groupId: GroupId): Promise<{ file: string; parsed: ParsedHistory }> {
    const files = this.logFiles(groupId);
    const parsed = parseHistory(await readLogText(files), files.log, groupId);
    this.warnDamaged(parsed);
    return { file: files.log, parsed };
  }

  private warnDamaged(parsed: ParsedHistory): void {
    for (const problem of parsed.problems) {
      this.logger.warn('history file damaged, intact revisions kept', { problem: problem.message });
    }
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
}

function damagedFile(file: string, problem: string): TendError {
  return new TendError('internal', `file ${file} is damaged: ${problem}`, { details: { file } });
}
