import { createHash, randomBytes } from 'node:crypto';
import { access, chmod, mkdir, open, readdir, readFile, realpath, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../../lib/index.js';
import { TendError } from '../../../spi/index.js';

const idPattern = /^proc-[0-9a-f]{16}$/;
const stateFileName = /^(proc-[0-9a-f]{16})\.json$/;
const intentFileName = /^(proc-[0-9a-f]{16})\.intent\.json$/;

export function newProcessId(): string {
  return `proc-${randomBytes(8).toString('hex')}`;
}

/** IDs are file names, so anything else (`../x`) is never looked up on disk. */
export function isProcessId(id: string): boolean {
  return idPattern.test(id);
}

const stateSchema = z.object({
  version: z.literal(1),
  id: z.string().regex(idPattern),
  pid: z.number().int().positive(),
  /** Null when the process ended before its start time could be read, or off Linux. */
  startTime: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
  logicalId: z.string().optional(),
  init: z.string(),
  cwd: z.string().optional(),
  createdAt: z.string(),
});

/** What lies beside each process; it is how a new manager finds instances an old one started. */
export type ProcessState = z.infer<typeof stateSchema>;

const intentSchema = stateSchema.omit({ pid: true, startTime: true }).extend({
  /** ms since the epoch, on the plugin's clock: how long a spawn may still be on its way. */
  intendedAt: z.number(),
});

/**
 * Written durably before the process is spawned and removed once its state file is: a manager
 * killed in between leaves this, and the next one adopts the process it names or drops it.
 */
export type ProvisionIntent = z.infer<typeof intentSchema>;

/** What one listing of the directory found. */
export interface StateListing {
  states: ProcessState[];
  intents: ProvisionIntent[];
  /** IDs whose file was written by a newer Tend: left alone, and their processes too. */
  foreign: Set<string>;
}

type Parsed<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'missing' }
  | { kind: 'foreign' }
  | { kind: 'damaged'; file: string; reason: string };

/**
 * The state directory: one `<id>.json` per instance plus its `<id>.log` (stdout and stderr), and
 * `<id>.intent.json` while a provision is between "about to spawn" and "state written".
 */
export class StateDir {
  readonly path: string;
  private readonly logger: Logger;
  private ready: Promise<void> | undefined;
  private markerValue: Promise<string> | undefined;
  private readonly quarantined = new Set<string>();

  constructor(options: { path: string; logger: Logger }) {
    this.path = options.path;
    this.logger = options.logger;
  }

  /** Creates the directory once, private to this user: it names processes the plugin will signal. */
  ensure(): Promise<void> {
    this.ready ??= (async () => {
      const created = await mkdir(this.path, { recursive: true, mode: 0o700 });
      if (created !== undefined) await chmod(this.path, 0o700);
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw new TendError('unavailable', `process plugin: cannot create state dir ${this.path}`, {
        cause: error,
      });
    });
    return this.ready;
  }

  logPath(id: string): string {
    return join(this.path, `${id}.log`);
  }

  /** Atomic: a reader sees the old file or the new one, never half of one, even after a crash. */
  async write(state: ProcessState): Promise<void> {
    await this.writeJson(`${state.id}.json`, state, 'state file');
  }

  /** Durable before it returns: the spawn that follows must never be the only trace. */
  async writeIntent(intent: ProvisionIntent): Promise<void> {
    await this.writeJson(`${intent.id}.intent.json`, intent, 'provision intent');
  }

  async removeIntent(id: string): Promise<void> {
    if (!isProcessId(id)) return;
    await rm(join(this.path, `${id}.intent.json`), { force: true });
  }

  /**
   * A hash of the directory's real path, put in every instance's environment: a scan of /proc
   * then finds exactly this directory's processes, never those of another plugin or manager.
   */
  marker(): Promise<string> {
    this.markerValue ??= (async () => {
      await this.ensure();
      const real = await realpath(this.path);
      return createHash('sha256').update(real).digest('hex').slice(0, 16);
    })();
    return this.markerValue;
  }

  /** Whether any file (state or intent) still names `id`; checked again right before a reap. */
  async accounts(id: string): Promise<boolean> {
    const names = [`${id}.json`, `${id}.intent.json`];
    const found = await Promise.all(
      names.map((n) =>
        readFile(join(this.path, n)).then(
          () => true,
          () => false,
        ),
      ),
    );
    return found.some(Boolean);
  }

  /** Whether a damaged state file of `id` was moved aside (see `quarantine`). */
  async hasDamaged(id: string): Promise<boolean> {
    if (!isProcessId(id)) return false;
    return access(join(this.path, `${id}.json.damaged`)).then(
      () => true,
      () => false,
    );
  }

  private async writeJson(name: string, value: unknown, what: string): Promise<void> {
    await this.ensure();
    const target = join(this.path, name);
    const temp = join(this.path, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      const file = await open(temp, 'w', 0o600);
      try {
        await file.writeFile(`${JSON.stringify(value, null, 2)}\n`);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, target);
      const dir = await open(this.path, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch (error) {
      await rm(temp, { force: true });
      throw new TendError('unavailable', `process plugin: cannot write ${what} ${target}`, {
        cause: error,
      });
    }
  }

  /** The state of `id`, or undefined when there is none (a damaged one is quarantined first). */
  async read(id: string): Promise<ProcessState | undefined> {
    if (!isProcessId(id)) return undefined;
    const parsed = await this.parseFile(`${id}.json`, id, stateSchema);
    if (parsed.kind === 'damaged') await this.quarantine(id, parsed.file, parsed.reason);
    return parsed.kind === 'ok' ? parsed.value : undefined;
  }

  /** Every state file and intent; damaged ones are moved aside (see `takeQuarantined`). */
  async list(): Promise<StateListing> {
    await this.ensure();
    let names: string[];
    try {
      names = await readdir(this.path);
    } catch (error) {
      throw new TendError('unavailable', `process plugin: cannot list state dir ${this.path}`, {
        cause: error,
      });
    }
    const listing: StateListing = { states: [], intents: [], foreign: new Set() };
    await Promise.all(
      names.map(async (name) => {
        const stateId = stateFileName.exec(name)?.[1];
        const intentId = intentFileName.exec(name)?.[1];
        const id = stateId ?? intentId;
        if (id === undefined) return;
        const parsed =
          stateId !== undefined
            ? await this.parseFile(name, id, stateSchema)
            : await this.parseFile(name, id, intentSchema);
        if (parsed.kind === 'foreign') listing.foreign.add(id);
        if (parsed.kind === 'damaged') await this.quarantine(id, parsed.file, parsed.reason);
        if (parsed.kind !== 'ok') return;
        if ('pid' in parsed.value) listing.states.push(parsed.value);
        else listing.intents.push(parsed.value);
      }),
    );
    return listing;
  }

  private async parseFile<T extends { id: string }>(
    name: string,
    id: string,
    schema: z.ZodType<T>,
  ): Promise<Parsed<T>> {
    const file = join(this.path, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      throw new TendError('unavailable', `process plugin: cannot read ${file}`, { cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { kind: 'damaged', file, reason: text === '' ? 'empty file' : 'not JSON' };
    }
    const version = (json as { version?: unknown } | null)?.version;
    // A newer Tend's record is left alone, but only one that names its instance: `{"version":2}`
    // alone is garbage, and leaving it would leave its process running with nobody to count it.
    if (typeof version === 'number' && version > 1 && (json as { id?: unknown }).id === id) {
      this.logger.warn('state file of a newer version left alone', { file, version });
      return { kind: 'foreign' };
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) return { kind: 'damaged', file, reason: parsed.error.message };
    if (parsed.data.id !== id) return { kind: 'damaged', file, reason: `names ${parsed.data.id}` };
    return { kind: 'ok', value: parsed.data };
  }

  /**
   * Moves a file that does not parse out of the way (`<name>.damaged`), so it is reported once
   * rather than on every look, and kept for a post-mortem. Its process, if any, is then one that
   * no file accounts for, which the plugin reaps.
   */
  private async quarantine(id: string, file: string, reason: string): Promise<void> {
    const movedTo = `${file}.damaged`;
    try {
      await rename(file, movedTo);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // a concurrent look moved it
      throw new TendError('unavailable', `process plugin: cannot quarantine damaged ${file}`, {
        cause: error,
      });
    }
    this.quarantined.add(id);
    this.logger.warn('damaged state file quarantined', { file, movedTo, reason });
  }

  /** IDs whose file was quarantined since the last call: their processes need finding. */
  takeQuarantined(): Set<string> {
    const taken = new Set(this.quarantined);
    this.quarantined.clear();
    return taken;
  }

  /** Forgets an instance; its log stays for a post-mortem unless `withLog`. */
  async remove(id: string, options: { withLog: boolean }): Promise<void> {
    if (!isProcessId(id)) return;
    await rm(join(this.path, `${id}.json`), { force: true });
    await rm(join(this.path, `${id}.intent.json`), { force: true });
    if (options.withLog) await rm(this.logPath(id), { force: true });
  }
}
