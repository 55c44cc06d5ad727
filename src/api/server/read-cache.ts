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

/** The scope of an answer that reads every group (status): any group's change drops it. */
export const FLEET = Symbol('fleet');
export type CacheScope = string | typeof FLEET;

/** Past this many keys the oldest answer is dropped for each new one (keys: status, one per group). */
const MAX_KEYS = 4096;

interface Entry {
  computedAt: number;
  scope: CacheScope;
  value: Promise<CachedBody>;
}

/**
 * Two hundred dashboards polling `/v1/status` must cost one status computation and one
 * `JSON.stringify` per change, not one per request: that work runs on the thread the reconcile
 * loops need. An answer is computed at most once per `maxAgeMs` (default 250 ms) and dropped
 * at once when its scope changes: `invalidate(group)` (a write to the group, one of its events)
 * drops that group's answers and the fleet-wide ones, not the other groups' — with 1,000 groups
 * an event a second would otherwise empty the cache for everyone, all the time — so a client
 * reads its own writes. Concurrent misses share one computation. Failures are not kept: the next
 * request tries again.
 */
export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  /** Keys per group scope, so dropping a group's answers does not walk every key. */
  private readonly byScope = new Map<CacheScope, Set<string>>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: ReadCacheOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 250;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * The cached answer for `key`, or `compute()`'s, serialized once. `scope` is the group the
   * answer reads (`FLEET`, the default, for one that reads them all).
   */
  get(key: string, compute: () => Promise<unknown>, scope: CacheScope = FLEET): Promise<CachedBody> {
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry !== undefined && now - entry.computedAt < this.maxAgeMs) return entry.value;
    if (entry !== undefined) this.drop(key);
    // Oldest first: Map keeps insertion order, and a recomputed key goes to the back.
    for (const oldest of this.entries.keys()) {
      if (this.entries.size < MAX_KEYS) break;
      this.drop(oldest);
    }
    const value = compute().then(serialize);
    const fresh: Entry = { computedAt: now, scope, value };
    this.entries.set(key, fresh);
    let keys = this.byScope.get(scope);
    if (keys === undefined) {
      keys = new Set();
      this.byScope.set(scope, keys);
    }
    keys.add(key);
    value.catch(() => {
      if (this.entries.get(key) === fresh) this.drop(key);
    });
    return value;
  }

  /**
   * Something changed: the next request computes afresh. With a group, only that group's answers
   * and the fleet-wide ones; without, everything. In-flight computations still finish.
   */
  invalidate(group?: string): void {
    if (group === undefined) {
      this.entries.clear();
      this.byScope.clear();
      return;
    }
    for (const scope of [group, FLEET] as const) {
      for (const key of this.byScope.get(scope) ?? []) this.entries.delete(key);
      this.byScope.delete(scope);
    }
  }

  /** How many answers are kept (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    const keys = this.byScope.get(entry.scope);
    keys?.delete(key);
    if (keys?.size === 0) this.byScope.delete(entry.scope);
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
