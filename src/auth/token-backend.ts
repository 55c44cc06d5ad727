import { z } from 'zod';
import { type Role, roles } from '../api/index.js';

export { type Role, roles };

export const tokenRecordSchema = z.object({
  name: z.string(),
  role: z.enum(['viewer', 'operator', 'admin']),
  /** sha256 of the secret, hex. The secret itself is never stored. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
});
export type TokenRecord = z.infer<typeof tokenRecordSchema>;

/** What a read found: the whole set and a version that changes whenever the set does. */
export interface TokenSnapshot {
  version: string;
  records: TokenRecord[];
}

/**
 * Where the token set is kept, shared by every manager of one installation: a file for the file
 * store, etcd for the etcd store. `TokenStore` caches the set and decides when to read again;
 * a backend only reads and writes, atomically with respect to other managers.
 *
 * Failure semantics: a backend that cannot reach its storage throws kind `unavailable`, and
 * then nothing was written; any other error on `read` means the stored set cannot be trusted.
 */
export interface TokenBackend {
  /** For messages: the file, or the etcd endpoints and key prefix. */
  readonly where: string;
  /** The stored set, or `unchanged` when it is still the one read under `seen` (a cheap check). */
  read(seen: string | undefined): Promise<TokenSnapshot | 'unchanged'>;
  /**
   * Adds a record. `conflict` if the name is taken or, with `onlyIfEmpty`, if any token exists:
   * two managers making the first admin token at once must not both succeed.
   */
  add(record: TokenRecord, options?: { onlyIfEmpty?: boolean }): Promise<void>;
  /** Removes the token `name`; `not_found` when there is none. */
  remove(name: string): Promise<void>;
  close(): Promise<void>;
}
