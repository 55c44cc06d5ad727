import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
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
}

/**
 * Bearer tokens, stored as sha256 hashes: a 256-bit random secret needs no slow hash, and a
 * stolen file grants nothing. The file is re-read whenever it changes on disk, so a token revoked
 * by another manager sharing the file is refused on the next request. Writes are atomic and run
 * under a lock file, so two managers cannot lose each other's changes.
 */
export class TokenStore {
  private readonly file: string | undefined;
  private records: TokenRecord[] = [];
  /** Tokens that live only in this process (the manager's own clients); never written. */
  private readonly ephemeral: TokenRecord[] = [];
  private seen: string | undefined;

  private constructor(options: TokenStoreOptions) {
    this.file = options.file;
  }

  static async open(options: TokenStoreOptions = {}): Promise<TokenStore> {
    const store = new TokenStore(options);
    await store.refresh();
    return store;
  }

  /** The principal of a presented secret, or undefined. Compares every hash in constant time. */
  async verify(secret: string): Promise<Principal | undefined> {
    await this.refresh();
    const presented = hashOf(secret);
    let found: TokenRecord | undefined;
    for (const record of [...this.records, ...this.ephemeral]) {
      if (timingSafeEqual(Buffer.from(record.hash, 'hex'), presented) && found === undefined) found = record;
    }
    return found === undefined ? undefined : { name: found.name, role: found.role };
  }

  async list(): Promise<TokenInfo[]> {
    await this.refresh();
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
    return token;
  }

  private async mutate(change: (records: TokenRecord[]) => TokenRecord[]): Promise<void> {
    const file = this.file;
    if (file === undefined) {
      this.records = change(this.records);
      return;
    }
    await withFileLock({ path: `${file}.lock` }, async () => {
      this.seen = undefined;
      await this.refresh();
      const next = change(this.records);
      await writeFileAtomic(file, `${JSON.stringify({ version: 1, tokens: next }, null, 2)}\n`, {
        mode: 0o600,
      });
      this.records = next;
    });
  }

  private async refresh(): Promise<void> {
    if (this.file === undefined) return;
    let version: string;
    try {
      const info = await stat(this.file);
      version = `${info.mtimeMs}:${info.size}:${info.ino}`;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      version = 'absent';
    }
    if (version === this.seen) return;
    const text = await readFileIfExists(this.file);
    if (text === undefined) {
      this.records = [];
    } else {
      const parsed = fileSchema.safeParse(safeJson(text));
      if (!parsed.success) {
        // Fail closed: a damaged token file must not leave the old (maybe revoked) set in force.
        this.records = [];
        this.seen = undefined;
        throw new TendError('internal', `token file ${this.file} is not valid`);
      }
      this.records = parsed.data.tokens;
    }
    this.seen = version;
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
