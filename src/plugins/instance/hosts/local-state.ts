import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type Logger, readFileIfExists, writeFileAtomic } from '../../../lib/index.js';
import { type ClaimRecord, claimRecordSchema } from './host-client.js';

const stateSchema = z.object({
  v: z.literal(1),
  /** The last claim read from each host (by host name): what to report while it cannot be read. */
  seen: z.record(z.string(), claimRecordSchema),
  /** Instances destroyed while their host did not answer: released once it does (host → ID). */
  releasing: z.record(z.string(), z.string()),
});
type State = z.infer<typeof stateSchema>;

/**
 * What this plugin remembers between calls and restarts, in `<stateDir>/hosts.json`. The truth is
 * on the hosts; this only covers the hosts that cannot be asked right now. At most one entry of
 * each kind per host, so it stays as small as the pool.
 */
export class LocalState {
  private state: State = { v: 1, seen: {}, releasing: {} };
  private readonly path: string;
  private readonly dir: string;
  private readonly logger: Logger;
  private written = JSON.stringify(this.state);
  private writing: Promise<void> = Promise.resolve();

  constructor(o: { stateDir: string; logger: Logger }) {
    this.dir = o.stateDir;
    this.path = join(o.stateDir, 'hosts.json');
    this.logger = o.logger;
  }

  async load(): Promise<void> {
    const text = await readFileIfExists(this.path);
    if (text === undefined) return;
    try {
      this.state = stateSchema.parse(JSON.parse(text));
      this.written = JSON.stringify(this.state);
    } catch (error) {
      // Only a cache: the hosts still hold the truth, so a damaged file is dropped, loudly.
      this.logger.warn('hosts state file unreadable, starting empty', {
        path: this.path,
        error: String(error),
      });
    }
  }

  seen(host: string): ClaimRecord | undefined {
    return this.state.seen[host];
  }

  releasing(host: string): string | undefined {
    return this.state.releasing[host];
  }

  setSeen(host: string, record: ClaimRecord | undefined): void {
    if (record === undefined) delete this.state.seen[host];
    else this.state.seen[host] = record;
  }

  setReleasing(host: string, id: string | undefined): void {
    if (id === undefined) delete this.state.releasing[host];
    else this.state.releasing[host] = id;
  }

  /** Writes the file when something changed; writes are serialized. */
  flush(): Promise<void> {
    const text = JSON.stringify(this.state);
    if (text === this.written) return this.writing;
    this.written = text;
    this.writing = this.writing
      .then(async () => {
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        await writeFileAtomic(this.path, text);
      })
      .catch((error: unknown) => {
        // The cache only matters while a host is away; a failed write is retried on the next change.
        this.written = '';
        this.logger.warn('hosts state file not written', { path: this.path, error: String(error) });
      });
    return this.writing;
  }
}
