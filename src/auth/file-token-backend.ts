import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { errorCode, readFileIfExists, withFileLock, writeFileAtomic } from '../lib/index.js';
import { TendError } from '../spi/index.js';
import {
  type TokenBackend,
  type TokenRecord,
  type TokenSnapshot,
  tokenRecordSchema,
} from './token-backend.js';

const fileSchema = z.object({ version: z.literal(1), tokens: z.array(tokenRecordSchema) });

/**
 * `tokens.json` (0600), for the file store: managers in HA share it through a shared directory.
 * Writes are atomic and run under a lock file, so two managers cannot lose each other's changes;
 * a read is one `stat` unless the file changed.
 */
export class FileTokenBackend implements TokenBackend {
  readonly where: string;
  private readonly file: string;

  constructor(options: { file: string }) {
    this.file = options.file;
    this.where = options.file;
  }

  async read(seen: string | undefined): Promise<TokenSnapshot | 'unchanged'> {
    const version = await this.version();
    if (version === seen) return 'unchanged';
    return { version, records: await this.readRecords() };
  }

  async add(record: TokenRecord, options: { onlyIfEmpty?: boolean } = {}): Promise<void> {
    await this.change((records) => {
      if (options.onlyIfEmpty === true && records.length > 0) {
        throw new TendError('conflict', 'tokens exist already');
      }
      if (records.some((r) => r.name === record.name)) {
        throw new TendError('conflict', `token ${record.name} exists`);
      }
      return [...records, record];
    });
  }

  async remove(name: string): Promise<void> {
    await this.change((records) => {
      if (!records.some((r) => r.name === name)) throw new TendError('not_found', `no token ${name}`);
      return records.filter((r) => r.name !== name);
    });
  }

  async close(): Promise<void> {}

  private async change(next: (records: TokenRecord[]) => TokenRecord[]): Promise<void> {
    await withFileLock({ path: `${this.file}.lock` }, async () => {
      const records = next(await this.readRecords());
      await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, tokens: records }, null, 2)}\n`, {
        mode: 0o600,
      });
    });
  }

  /** mtime, size and inode: an atomic rename changes the inode even within one mtime tick. */
  private async version(): Promise<string> {
    try {
      const info = await stat(this.file);
      return `${info.mtimeMs}:${info.size}:${info.ino}`;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      return 'absent';
    }
  }

  private async readRecords(): Promise<TokenRecord[]> {
    const text = await readFileIfExists(this.file);
    if (text === undefined) return [];
    const parsed = fileSchema.safeParse(safeJson(text));
    if (!parsed.success) throw new TendError('internal', `token file ${this.file} is not valid`);
    return parsed.data.tokens;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
