import { createHash } from 'node:crypto';

/** A read answer serialized once and shared by every request that asks for it meanwhile. */
export interface CachedBody {
  json: string;
  body: Buffer;
  /** Strong: the same bytes always get the same tag, so `If-None-Match` can answer 304. */
  etag: string;
}

export interface ReadCacheOptions {
  /** How long an answer may be served after it was computed when nothing invalidated it. */
  maxAgeMs?: number;
  now?: () => number;
}

/** The key of `GET /v1/status`, shared by the route and the event stream's status feed. */
export const STATUS_KEY = 'status';

/** Past this many keys the cache starts over; keys are status plus one per existing group. */
const MAX_KEYS = 1024;

interface Entry {
  computedAt: number;
  value: Promise<CachedBody>;
}

/**
 * Two hundred dashboards polling `/v1/status` must cost one status computation and one
 * `JSON.stringify` per change, not one per request: that work runs on the thread the reconcile
 * loops need. An answer is computed at most once per `maxAgeMs` (default 250 ms) and dropped
 * at once on `invalidate()`, which the manager calls after every write and every group event,
 * so a client reads its own writes. Concurrent misses share one computation. Failures are not
 * kept: the next request tries again.
 */
export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: ReadCacheOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 250;
    this.now = options.now ?? (() => performance.now());
  }

  /** The cached answer for `key`, or `compute()`'s, serialized once. */
  get(key: string, compute: () => Promise<unknown>): Promise<CachedBody> {
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry !== undefined && now - entry.computedAt < this.maxAgeMs) return entry.value;
    if (this.entries.size >= MAX_KEYS) this.entries.clear();
    const value = compute().then(serialize);
    const fresh: Entry = { computedAt: now, value };
    this.entries.set(key, fresh);
    value.catch(() => {
      if (this.entries.get(key) === fresh) this.entries.delete(key);
    });
    return value;
  }

  /** Something changed: the next request computes afresh. In-flight computations still finish. */
  invalidate(): void {
    this.entries.clear();
  }
}

function serialize(value: unknown): CachedBody {
  const json = JSON.stringify(value);
  const body = Buffer.from(json, 'utf8');
  const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
  return { json, body, etag };
}

/** True when an `If-None-Match` header names `etag` (or is `*`); weak tags match too. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((raw) => {
    const tag = raw.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}
