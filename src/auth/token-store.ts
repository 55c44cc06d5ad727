import { createHash, randomBytes } from 'node:crypto';
import type { Principal, TokenInfo } from '../api/index.js';
import { type Logger, silentLogger, within } from '../lib/index.js';
import { TendError } from '../spi/index.js';
import { FileTokenBackend } from './file-token-backend.js';
import { type Role, roles, type TokenBackend, type TokenRecord } from './token-backend.js';

/** Who a request is: the token's name and role. Never the secret. */
export type { Principal, TokenInfo } from '../api/index.js';
export { type Role, roles } from './token-backend.js';

export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface TokenStoreOptions {
  /** Where the set is shared between managers; wins over `file`. */
  backend?: TokenBackend;
  /** `tokens.json`, when no backend is given; in memory only when both are absent (tests). */
  file?: string;
  /** How long a read of the backend holds for verification; default 1000 ms. */
  recheckMs?: number;
  /**
   * The longest a verify waits for a due read of the backend once a set has been read; past it
   * the last set read decides (the read goes on). Default 100 ms.
   */
  readWaitMs?: number;
  /** Milliseconds, monotonic; injected by tests. */
  now?: () => number;
  logger?: Logger;
}

/** A secret nobody here knows may be a token just made by another manager: look sooner. */
const UNKNOWN_RECHECK_MS = 100;
/**
 * Every request is verified, so a backend that is slow rather than down (etcd paused: its reads
 * hang until the 2 s client timeout) must not hold requests: `GET /v1/status` answers within a
 * second whatever etcd does (found by the fault campaign, #10).
 */
const READ_WAIT_MS = 100;

/**
 * Bearer tokens, stored as sha256 hashes: a 256-bit random secret needs no slow hash, and a
 * stolen copy of the set grants nothing. The set lives in a `TokenBackend` every manager shares.
 *
 * Verification is a map lookup by the presented secret's hash, with no backend access per request:
 * the backend is read at most once per `recheckMs` (1 s). So a token created or revoked through
 * THIS manager counts on the very next request, while one revoked by another manager is refused
 * within ~1 s; a secret that matches nothing reads again after 100 ms, so a token just created
 * elsewhere works almost at once. Looking up by hash is not a secret comparison: timing can
 * reveal at most something about a sha256, which does not lead back to a 256-bit secret.
 *
 * A verify waits at most `readWaitMs` (100 ms) for a due read; a backend slower than that is
 * treated as unreachable for that request: the last set read decides, and the read's result
 * counts from the next verify on.
 *
 * When the backend is unreachable (`unavailable`), verification keeps the last set it read: a
 * revocation cannot be written while nobody reaches the backend, and a manager cut off from it
 * cannot lead, so every write it takes is forwarded to the leader with the caller's token and
 * checked again there. A damaged set fails closed: nothing verifies until it reads cleanly.
 */
export class TokenStore {
  private readonly backend: TokenBackend | undefined;
  private readonly recheckMs: number;
  private readonly readWaitMs: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private records: TokenRecord[] = [];
  /** Tokens that live only in this process (the manager's own clients); never written. */
  private readonly ephemeral = new Map<string, TokenRecord>();
  /** hex sha256 → record of `records`; rebuilt whenever they change. */
  private byHash = new Map<string, TokenRecord>();
  private seen: string | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private checking: Promise<void> | undefined;
  /** Bumped by every write here: a read that began before it must not undo what it wrote. */
  private generation = 0;
  /** Set while the backend does not answer, so the outage is logged once, not per request. */
  private unreachable = false;

  private constructor(options: TokenStoreOptions) {
    this.backend =
      options.backend ??
      (options.file === undefined ? undefined : new FileTokenBackend({ file: options.file }));
    this.recheckMs = options.recheckMs ?? 1000;
    this.readWaitMs = options.readWaitMs ?? READ_WAIT_MS;
    this.now = options.now ?? (() => performance.now());
    this.log = (options.logger ?? silentLogger).child({ component: 'tokens' });
  }

  /** Reads the set once; fails (`unavailable`, or `internal` for a damaged set) if it cannot. */
  static async open(options: TokenStoreOptions = {}): Promise<TokenStore> {
    const store = new TokenStore(options);
    await store.refresh(true);
    return store;
  }

  /** The principal of a presented secret, or undefined. */
  async verify(secret: string): Promise<Principal | undefined> {
    const hash = hashOf(secret).toString('hex');
    // The manager's own clients never wait on (or fail with) the backend.
    let found = this.ephemeral.get(hash);
    if (found === undefined) {
      await this.recheck(this.recheckMs);
      found = this.byHash.get(hash);
    }
    if (found === undefined && this.backend !== undefined) {
      await this.recheck(UNKNOWN_RECHECK_MS);
      found = this.byHash.get(hash);
    }
    return found === undefined ? undefined : { name: found.name, role: found.role };
  }

  /** Reads the backend first, so a listing is never stale; fails `unavailable` if it cannot. */
  async list(): Promise<TokenInfo[]> {
    await this.refresh(true);
    return this.records.map(({ name, role, createdAt }) => ({ name, role, createdAt }));
  }

  async isEmpty(): Promise<boolean> {
    return (await this.list()).length === 0;
  }

  /**
   * Creates a token and returns its secret: the only time anyone sees it. With `onlyIfEmpty` it
   * fails `conflict` when any token exists, atomically: the first admin token is made once.
   */
  async create(
    name: string,
    role: Role,
    options: { onlyIfEmpty?: boolean } = {},
  ): Promise<{ token: string; info: TokenInfo }> {
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
    await this.write(
      async (backend) => backend.add(record, options),
      (records) => {
        // In memory only, this is the check the backend makes (atomically) otherwise.
        if (this.backend === undefined && records.some((r) => r.name === name)) {
          throw new TendError('conflict', `token ${name} exists`);
        }
        if (this.backend === undefined && options.onlyIfEmpty === true && records.length > 0) {
          throw new TendError('conflict', 'tokens exist already');
        }
        return [...records.filter((r) => r.name !== name), record];
      },
    );
    return { token, info: { name, role, createdAt: record.createdAt } };
  }

  async revoke(name: string): Promise<void> {
    await this.write(
      async (backend) => backend.remove(name),
      (records) => {
        if (this.backend === undefined && !records.some((r) => r.name === name)) {
          throw new TendError('not_found', `no token ${name}`);
        }
        return records.filter((r) => r.name !== name);
      },
    );
  }

  /** A token valid while this process runs, for the manager's own clients. */
  mintEphemeral(name: string, role: Role): string {
    const token = newSecret();
    const hash = hashOf(token).toString('hex');
    this.ephemeral.set(hash, { name, role, hash, createdAt: '' });
    return token;
  }

  async close(): Promise<void> {
    await this.backend?.close();
  }

  /**
   * Writes through the backend, then applies the same change here at once: a revocation through
   * this manager must not wait for the next read. The next read confirms it from the backend.
   */
  private async write(
    stored: (backend: TokenBackend) => Promise<void>,
    local: (records: TokenRecord[]) => TokenRecord[],
  ): Promise<void> {
    if (this.backend === undefined) {
      this.setRecords(local(this.records));
      return;
    }
    this.generation += 1;
    try {
      await stored(this.backend);
      this.setRecords(local(this.records));
    } finally {
      this.generation += 1;
      this.seen = undefined;
      this.checkedAt = Number.NEGATIVE_INFINITY;
    }
  }

  private setRecords(records: TokenRecord[]): void {
    this.records = records;
    this.byHash = new Map(records.map((record) => [record.hash, record]));
  }

  /**
   * Reads again if the last read is older than `maxAgeMs`; concurrent callers share one read,
   * and none waits for it longer than `readWaitMs` (a late failure still takes effect: a damaged
   * set empties the records when it is read, whoever waited).
   */
  private async recheck(maxAgeMs: number): Promise<void> {
    if (this.backend === undefined) return;
    if (this.now() - this.checkedAt < maxAgeMs) return;
    this.checking ??= this.refresh(false).finally(() => {
      this.checking = undefined;
    });
    await within(this.checking, this.readWaitMs, () => undefined);
  }

  /**
   * One read of the backend. `strict` (open, list) passes `unavailable` on; otherwise the last
   * set stays in force through an outage (see the class comment) and the next read is tried after
   * `recheckMs`. Any other failure empties the set and throws: fail closed.
   */
  private async refresh(strict: boolean): Promise<void> {
    const backend = this.backend;
    if (backend === undefined) return;
    const startedAt = this.now();
    const generation = this.generation;
    let read: Awaited<ReturnType<TokenBackend['read']>>;
    try {
      read = await backend.read(this.seen);
    } catch (error) {
      if (TendError.is(error, 'unavailable') && !strict) {
        if (!this.unreachable) this.log.warn('token set unreadable; using the last one read', { error });
        this.unreachable = true;
        this.checkedAt = startedAt;
        return;
      }
      if (TendError.is(error, 'unavailable')) throw error;
      this.setRecords([]);
      this.seen = undefined;
      throw error;
    }
    if (this.unreachable) this.log.info('token set readable again', { where: backend.where });
    this.unreachable = false;
    if (generation !== this.generation) return; // a write here since; its change is newer
    if (read !== 'unchanged') {
      this.setRecords(read.records);
      this.seen = read.version;
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

export function roleAtLeast(role: Role, needed: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(needed);
}
