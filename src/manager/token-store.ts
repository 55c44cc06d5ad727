import { createHash, randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { errorCode, readFileIfExists, withFileLock, writeFileAtomic } from '../lib/index.js';
import { TendError } from '../spi/index.js';

/** viewer reads; operator scales and rolls; admin applies, destroys and manages tokens. */
export type Role = 'viewer' | 'operator' | 'admin';
export const roles: readonly Role[] = ['viewer', 'operator', 'admin'];

/** Who a request is: the token's name and role. Never the secret. */
export interface Principal {
  name: string;
  role: Role;
}

export interface TokenInfo extends Principal {
  createdAt: string;
}

const recordSchema = z.object({
  name: z.string(),
  role: z.enum(['viewer', 'operator', 'admin']),
  /** sha256 of the secret, hex. The secret itself is never stored. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
});
type TokenRecord = z.infer<typeof recordSchema>;
const fileSchema = z.object({ version: z.literal(1), tokens: z.array(recordSchema) });

export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface TokenStoreOptions {
  /** `tokens.json`; in memory only when absent (tests). Managers in HA must share this file. */
  file?: string;
  /** How long a check of the file (one `stat`) holds for verification; default 1000 ms. */
  recheckMs?: number;
  /** Milliseconds, monotonic; injected by tests. */
  now?: () => number;
}

/** A secret nobody here knows may be a token just made by another manager: look sooner. */
const UNKNOWN_RECHECK_MS = 100;

/**
 * Bearer tokens, stored as sha256 hashes: a 256-bit random secret needs no slow hash, and a
 * stolen file grants nothing. Writes are atomic and run under a lock file, so two managers
 * cannot lose each other's changes.
 *
 * Verification is a map lookup by the presented secret's hash, with no file access per request:
 * the file's `stat` is checked at most once per `recheckMs` (1 s) and re-read when it changed.
 * So a token created or revoked through THIS manager counts on the very next request, while
 * one revoked in the file by another manager sharing it (HA) is refused within ~1 s; a secret
 * that matches nothing re-checks the file after 100 ms, so a token just created elsewhere works
 * almost at once. Looking up by hash is not a secret comparison: timing can reveal at most
 * something about a sha256, which does not lead back to a 256-bit secret.
 */
export class TokenStore {
  private readonly file: string | undefined;
  private readonly recheckMs: number;
  private readonly now: () => number;
  private records: TokenRecord[] = [];
  /** Tokens that live only in this process (the manager's own clients); never written. */
  private readonly ephemeral: TokenRecord[] = [];
  /** hex sha256 → record, over `records` and `ephemeral`; rebuilt whenever either changes. */
  private byHash = new Map<string, TokenRecord>();
  private seen: string | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private checking: Promise<void> | undefined;
  /** Bumped by every write here: a check that began before it must not undo what it wrote. */
  private generation = 0;

  private constructor(options: TokenStoreOptions) {
    this.file = options.file;
    this.recheckMs = options.recheckMs ?? 1000;
    this.now = options.now ?? (() => performance.now());
  }

  static async open(options: TokenStoreOptions = {}): Promise<TokenStore> {
    const store = new TokenStore(options);
    await store.refresh();
    return store;
  }

  /** The principal of a presented secret, or undefined. */
  async verify(secret: string): Promise<Principal | undefined> {
    const hash = hashOf(secret).toString('hex');
    await this.recheck(this.recheckMs);
    let found = this.byHash.get(hash);
    if (found === undefined && this.file !== undefined) {
      await this.recheck(UNKNOWN_RECHECK_MS);
      found = this.byHash.get(hash);
    }
    return found === undefined ? undefined : { name: found.name, role: found.role };
  }

  async list(): Promise<TokenInfo[]> {
    await this.recheck(0);
    return this.records.map(({ name, role, createdAt }) => ({ name, role, createdAt }));
  }

  async isEmpty(): Promise<boolean> {
    return (await this.list()).length === 0;
  }

  /** Creates a token and returns its secret: the only time anyone sees it. */
  async create(name: string, role: Role): Promise<{ token: string; info: TokenInfo }> {
    if (!TOKEN_NAME.test(name)) {
      throw new TendError('invalid_spec', 'name: expected letters, digits, . _ - (at most 64)');
    }
    const token = newSecret();
    const record: TokenRecord = {
      name,
      role,
      hash: hashOf(token).toString('hex'),
      createdAt: new Date().toISOString(),
    };
    await this.mutate((records) => {
      if (records.some((r) => r.name === name)) throw new TendError('conflict', `token ${name} exists`);
      return [...records, record];
    });
    return { token, info: { name, role, createdAt: record.createdAt } };
  }

  async revoke(name: string): Promise<void> {
    await this.mutate((records) => {
      if (!records.some((r) => r.name === name)) throw new TendError('not_found', `no token ${name}`);
      return records.filter((r) => r.name !== name);
    });
  }

  /** A token valid while this process runs, for the manager's own clients. */
  mintEphemeral(name: string, role: Role): string {
    const token = newSecret();
    this.ephemeral.push({ name, role, hash: hashOf(token).toString('hex'), createdAt: '' });
    this.setRecords(this.records);
    return token;
  }

  private async mutate(change: (records: TokenRecord[]) => TokenRecord[]): Promise<void> {
    const file = this.file;
    if (file === undefined) {
      this.setRecords(change(this.records));
      return;
    }
    await withFileLock({ path: `${file}.lock` }, async () => {
      this.generation += 1;
      this.seen = undefined;
      await this.refresh();
      const next = change(this.records);
      await writeFileAtomic(file, `${JSON.stringify({ version: 1, tokens: next }, null, 2)}\n`, {
        mode: 0o600,
      });
      // In force before the next request: a revocation here must not wait for the recheck.
      this.setRecords(next);
      this.generation += 1;
    });
  }

  private setRecords(records: TokenRecord[]): void {
    this.records = records;
    const byHash = new Map<string, TokenRecord>();
    // A file record wins over an ephemeral one with the same hash (there is none: 256 random bits).
    for (const record of [...this.ephemeral, ...records]) byHash.set(record.hash, record);
    this.byHash = byHash;
  }

  /** Re-checks the file if the last check is older than `maxAgeMs`; concurrent callers share one. */
  private async recheck(maxAgeMs: number): Promise<void> {
    if (this.file === undefined) return;
    if (this.now() - this.checkedAt < maxAgeMs) return;
    this.checking ??= this.refresh().finally(() => {
      this.checking = undefined;
    });
    await this.checking;
  }

  private async refresh(): Promise<void> {
    if (this.file === undefined) return;
    const startedAt = this.now();
    const generation = this.generation;
    let version: string;
    try {
      const info = await stat(this.file);
      version = `${info.mtimeMs}:${info.size}:${info.ino}`;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      version = 'absent';
    }
    if (version !== this.seen) {
      const text = await readFileIfExists(this.file);
      if (generation !== this.generation) return; // a write here since; it holds the newer set
      if (text === undefined) {
        this.setRecords([]);
      } else {
        const parsed = fileSchema.safeParse(safeJson(text));
        if (!parsed.success) {
          // Fail closed: a damaged token file must not leave the old (maybe revoked) set in force.
          this.setRecords([]);
          this.seen = undefined;
          throw new TendError('internal', `token file ${this.file} is not valid`);
        }
        this.setRecords(parsed.data.tokens);
      }
      this.seen = version;
    }
    this.checkedAt = startedAt;
  }
}

function newSecret(): string {
  return `tend_${randomBytes(32).toString('base64url')}`;
}

function hashOf(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function roleAtLeast(role: Role, needed: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(needed);
}
