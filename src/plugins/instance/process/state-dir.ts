import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../../lib/index.js';
import { TendError } from '../../../spi/index.js';

const idPattern = /^proc-[0-9a-f]{16}$/;
const stateFileName = /^(proc-[0-9a-f]{16})\.json$/;

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

/** The state directory: one `<id>.json` per instance plus its `<id>.log` (stdout and stderr). */
export class StateDir {
  readonly path: string;
  private readonly logger: Logger;
  private ready: Promise<void> | undefined;

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
    await this.ensure();
    const target = join(this.path, `${state.id}.json`);
    const temp = join(this.path, `.${state.id}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      const file = await open(temp, 'w', 0o600);
      try {
        await file.writeFile(`${JSON.stringify(state, null, 2)}\n`);
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
      throw new TendError('unavailable', `process plugin: cannot write state file ${target}`, {
        cause: error,
      });
    }
  }

  /** The state of `id`, or undefined when there is none (or it is unreadable, which is logged). */
  async read(id: string): Promise<ProcessState | undefined> {
    if (!isProcessId(id)) return undefined;
    const file = join(this.path, `${id}.json`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new TendError('unavailable', `process plugin: cannot read state file ${file}`, { cause: error });
    }
    const parsed = (() => {
      try {
        return stateSchema.safeParse(JSON.parse(text));
      } catch {
        return undefined;
      }
    })();
    if (parsed?.success !== true || parsed.data.id !== id) {
      // Skipped rather than fatal: one damaged file must not blind the controller to every group.
      this.logger.warn('state file ignored', { file, reason: parsed?.error?.message ?? 'not JSON' });
      return undefined;
    }
    return parsed.data;
  }

  /** Every readable state file. */
  async list(): Promise<ProcessState[]> {
    await this.ensure();
    let names: string[];
    try {
      names = await readdir(this.path);
    } catch (error) {
      throw new TendError('unavailable', `process plugin: cannot list state dir ${this.path}`, {
        cause: error,
      });
    }
    const ids = names.flatMap((name) => stateFileName.exec(name)?.[1] ?? []);
    const states = await Promise.all(ids.map((id) => this.read(id)));
    return states.filter((s): s is ProcessState => s !== undefined);
  }

  /** Forgets an instance; its log stays for a post-mortem unless `withLog`. */
  async remove(id: string, options: { withLog: boolean }): Promise<void> {
    if (!isProcessId(id)) return;
    await rm(join(this.path, `${id}.json`), { force: true });
    if (options.withLog) await rm(this.logPath(id), { force: true });
  }
}
