import type { Etcd3 } from 'etcd3';
import { connectEtcd, etcdCall } from '../lib/index.js';
import { TendError } from '../spi/index.js';
import {
  type TokenBackend,
  type TokenRecord,
  type TokenSnapshot,
  tokenRecordSchema,
} from './token-backend.js';

export interface EtcdTokenBackendOptions {
  endpoints: readonly string[];
  /** The store's key prefix (e.g. `tend/`); tokens live under `<prefix>tokens/<name>`. */
  prefix: string;
  /** Bound on each call; past it the call fails `unavailable` (default 2000 ms). */
  timeoutMs?: number;
}

/**
 * The token set in etcd, for managers on the etcd store: one key per token, so a create is a
 * transaction on its own key and a revocation a delete every manager sees on its next read.
 * There is no per-manager copy on disk.
 */
export class EtcdTokenBackend implements TokenBackend {
  readonly where: string;
  private readonly client: Etcd3;
  private readonly endpoints: readonly string[];
  private readonly dir: Buffer;
  private readonly timeoutMs: number;

  private constructor(options: EtcdTokenBackendOptions, client: Etcd3) {
    this.client = client;
    this.endpoints = options.endpoints;
    this.dir = Buffer.from(`${options.prefix}tokens/`);
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.where = `etcd ${options.endpoints.join(',')} ${this.dir.toString()}`;
  }

  /** Connects and reads once, so a wrong endpoint fails here and not on the first request. */
  static async open(options: EtcdTokenBackendOptions): Promise<EtcdTokenBackend> {
    const timeoutMs = options.timeoutMs ?? 2000;
    const backend = new EtcdTokenBackend(options, connectEtcd({ ...options, requestTimeoutMs: timeoutMs }));
    try {
      await backend.read(undefined);
    } catch (error) {
      await backend.close();
      throw error;
    }
    return backend;
  }

  /**
   * Always one range read: the set is a handful of small keys, and reading it is as cheap as any
   * "has it changed" probe etcd offers. The version is the newest mod revision plus the count, so
   * a delete (which lowers the count) changes it too.
   */
  async read(seen: string | undefined): Promise<TokenSnapshot | 'unchanged'> {
    const response = await this.call('read tokens', () =>
      this.client.kv.range({ key: this.dir, range_end: prefixEnd(this.dir) }),
    );
    let newest = 0n;
    const records: TokenRecord[] = [];
    for (const kv of response.kvs) {
      const key = kv.key.toString('utf8');
      const parsed = tokenRecordSchema.safeParse(safeJson(kv.value.toString('utf8')));
      // Fail closed: a damaged key must not leave the previous (maybe revoked) set in force.
      if (!parsed.success) throw new TendError('internal', `etcd key ${key} is not a valid token`);
      if (`${this.dir.toString()}${parsed.data.name}` !== key) {
        throw new TendError('internal', `etcd key ${key} holds token ${parsed.data.name}`);
      }
      records.push(parsed.data);
      const mod = BigInt(kv.mod_revision);
      if (mod > newest) newest = mod;
    }
    const version = `${newest}:${records.length}`;
    return version === seen ? 'unchanged' : { version, records };
  }

  async add(record: TokenRecord, options: { onlyIfEmpty?: boolean } = {}): Promise<void> {
    const key = Buffer.from(`${this.dir.toString()}${record.name}`);
    // create_revision 0 over a range holds only when no key in it exists (etcd ≥ 3.3).
    const absent = options.onlyIfEmpty ? { key: this.dir, range_end: prefixEnd(this.dir) } : { key };
    const result = await this.call(`create token ${record.name}`, () =>
      this.client.kv.txn({
        compare: [{ ...absent, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key, value: Buffer.from(JSON.stringify(record)) } }],
      }),
    );
    if (result.succeeded) return;
    throw new TendError(
      'conflict',
      options.onlyIfEmpty ? 'tokens exist already' : `token ${record.name} exists`,
    );
  }

  async remove(name: string): Promise<void> {
    const key = Buffer.from(`${this.dir.toString()}${name}`);
    const result = await this.call(`revoke token ${name}`, () => this.client.kv.deleteRange({ key }));
    if (Number(result.deleted) === 0) throw new TendError('not_found', `no token ${name}`);
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return etcdCall(what, this.endpoints, this.timeoutMs, fn);
  }
}

/** The end of the range holding every key that starts with `prefix`. */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    const byte = end[i] ?? 0;
    if (byte < 0xff) {
      end[i] = byte + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
