import type { InstancePage, PageQuery } from '../api/index.js';
import { type GroupSummary, type InstanceStatus, TendError } from '../spi/index.js';

/**
 * A group's entry in `GET /v1/status` stays under this many bytes of JSON whatever the group's
 * size, so the status of 1,000 groups is ~0.5 MB at most whether they hold 10 or 100 instances.
 * An ID longer than 64 characters (up to the 128 the API allows) adds its excess to the bound.
 */
export const MAX_SUMMARY_BYTES = 512;

/** The bound for one summary: 512 bytes, plus what its ID has beyond 64 characters. */
export function summaryByteLimit(id: string): number {
  return MAX_SUMMARY_BYTES + Math.max(0, Buffer.byteLength(id) - 64);
}
/** A summary lists at most this many configs (a rollout has two; the rest are summed). */
const MAX_CONFIGS = 4;
const OTHER_CONFIGS = '(other)';

/**
 * `summary` cut to `MAX_SUMMARY_BYTES`: at most four configs by count (the rest summed under
 * `(other)`), then the free texts (last error, breaker and rollout reasons) shortened, halving
 * until it fits; then, for configs that are not Tend's 12-character hashes (foreign tags), only
 * the target config and `(other)`; last, without the texts. Counts, phase and the group's ID are
 * never touched.
 */
export function boundSummary(summary: GroupSummary): GroupSummary {
  const limit = summaryByteLimit(summary.id);
  let bounded: GroupSummary = { ...summary, byConfig: boundConfigs(summary.byConfig, MAX_CONFIGS) };
  for (let cap = 160; byteLength(bounded) > limit && cap >= 4; cap = Math.floor(cap / 2)) {
    bounded = shortenTexts(bounded, cap);
  }
  if (byteLength(bounded) > limit) {
    const target = summary.byConfig[summary.config] ?? 0;
    const total = Object.values(summary.byConfig).reduce((n, count) => n + count, 0);
    bounded = {
      ...bounded,
      config: cut(bounded.config, 16),
      byConfig: { [cut(summary.config, 16)]: target, [OTHER_CONFIGS]: total - target },
      ...(bounded.rollout === undefined
        ? {}
        : {
            rollout: {
              ...bounded.rollout,
              fromConfig: cut(bounded.rollout.fromConfig, 16),
              toConfig: cut(bounded.rollout.toConfig, 16),
            },
          }),
    };
  }
  if (byteLength(bounded) > limit) bounded = withoutTexts(bounded);
  return bounded;
}

/** The last resort: the texts go (the group's events and `tend describe` still have them). */
function withoutTexts(summary: GroupSummary): GroupSummary {
  const { lastError: _lastError, ...out } = summary;
  const { reason: _breakerReason, ...breaker } = summary.breaker;
  const result: GroupSummary = { ...out, breaker };
  if (summary.rollout !== undefined) {
    const { reason: _rolloutReason, ...rollout } = summary.rollout;
    result.rollout = rollout;
  }
  return result;
}

function boundConfigs(byConfig: Readonly<Record<string, number>>, max: number): Record<string, number> {
  const entries = Object.entries(byConfig);
  if (entries.length <= max) return { ...byConfig };
  entries.sort((a, b) => b[1] - a[1]);
  const kept = Object.fromEntries(entries.slice(0, max - 1));
  kept[OTHER_CONFIGS] = entries.slice(max - 1).reduce((n, [, count]) => n + count, 0);
  return kept;
}

const cut = (text: string, cap: number) => (text.length > cap ? `${text.slice(0, cap - 1)}…` : text);

function shortenTexts(summary: GroupSummary, cap: number): GroupSummary {
  const out: GroupSummary = { ...summary, breaker: { ...summary.breaker } };
  if (out.lastError !== undefined) out.lastError = cut(out.lastError, cap);
  if (out.breaker.reason !== undefined) out.breaker.reason = cut(out.breaker.reason, cap);
  if (out.rollout?.reason !== undefined)
    out.rollout = { ...out.rollout, reason: cut(out.rollout.reason, cap) };
  return out;
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

export type { PageQuery };

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1_000;

/**
 * One page of a group's instances, given in ID order (the controller keeps them sorted between
 * looks: `createInstanceIndex`), so a page costs a binary search and its slice. The cursor names the last ID served (opaque to
 * clients), so a page never repeats or skips an instance that was there throughout, however the
 * group changes between pages: new ones appear where their ID sorts, gone ones are not served.
 */
export function pageInstances(id: string, sorted: readonly InstanceStatus[], query: PageQuery): InstancePage {
  const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new TendError('invalid_spec', `limit: expected 1 to ${MAX_PAGE_LIMIT}, got ${limit}`);
  }
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const start = after === undefined ? 0 : firstAfter(sorted, after);
  const page = sorted.slice(start, start + limit);
  const last = page.at(-1);
  const more = start + limit < sorted.length;
  return {
    id,
    total: sorted.length,
    instances: page,
    ...(more && last !== undefined ? { next: encodeCursor(last.id) } : {}),
  };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function firstAfter(sorted: readonly InstanceStatus[], after: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compare(sorted[mid]?.id ?? '', after) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]{1,700}$/.test(cursor)) {
    throw new TendError('invalid_spec', 'cursor: expected the `next` of a previous page');
  }
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
