import { appendFile, open, rename, stat } from 'node:fs/promises';
import { z } from 'zod';
import type { AuditEntry } from '../api/index.js';
import { errorCode, readFileIfExists, SerialQueue } from '../lib/index.js';

export type { AuditEntry } from '../api/index.js';

export interface AuditLogOptions {
  /** `audit.log`; in memory only when absent (tests). */
  file?: string;
  /** Rotate to `audit.log.1` past this size (default 16 MiB). */
  maxBytes?: number;
}

/**
 * Append-only JSON lines. Appends go through one queue so lines never interleave; a failed
 * append is reported to the caller (the write itself already happened and stays done).
 */
export class AuditLog {
  private readonly file: string | undefined;
  private readonly maxBytes: number;
  private readonly memory: AuditEntry[] = [];
  private readonly queue = new SerialQueue();

  constructor(options: AuditLogOptions = {}) {
    this.file = options.file;
    this.maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  }

  append(entry: AuditEntry): Promise<void> {
    return this.queue.run(() => this.write(entry));
  }

  /** The newest `limit` entries, oldest first. */
  async recent(limit: number): Promise<AuditEntry[]> {
    await this.queue.idle();
    if (this.file === undefined) return this.memory.slice(-limit);
    const text = (await readFileIfExists(this.file)) ?? '';
    const lines = text.split('\n').filter((line) => line !== '');
    return lines.slice(-limit).flatMap((line) => {
      try {
        const parsed = auditEntry.safeParse(JSON.parse(line));
        return parsed.success ? [parsed.data] : [];
      } catch {
        return []; // a torn last line after a crash, or a line that is not an entry
      }
    });
  }

  private async write(entry: AuditEntry): Promise<void> {
    if (this.file === undefined) {
      this.memory.push(entry);
      if (this.memory.length > 10_000) this.memory.splice(0, this.memory.length - 10_000);
      return;
    }
    await this.rotateIfLarge(this.file);
    await appendFile(this.file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  }

  private async rotateIfLarge(file: string): Promise<void> {
    try {
      if ((await stat(file)).size < this.maxBytes) return;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw error;
    }
    await rename(file, `${file}.1`);
    await (await open(file, 'a', 0o600)).close();
  }
}

/** The audit file is a trust boundary (torn by a crash, edited by hand): only entries come back. */
const auditEntry: z.ZodType<AuditEntry> = z.object({
  at: z.string(),
  who: z.string(),
  role: z.string(),
  what: z.string(),
  action: z.string().exactOptional(),
  group: z.string().exactOptional(),
  revision: z.number().exactOptional(),
  target: z.string().exactOptional(),
  result: z.enum(['ok', 'error']),
  kind: z.string().exactOptional(),
  forwardedTo: z.string().exactOptional(),
});
