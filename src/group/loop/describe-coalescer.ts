import { type Clock, type Random, systemClock } from '../../lib/index.js';
import type { InstanceDescription, InstancePlugin, Tags } from '../../spi/index.js';
import { limitedCall } from './limited-call.js';
import type { PluginLimiter } from './limiter.js';

/**
 * `gatherMs` for the groups of a cloud plugin, which tick in step (`alignTicks`): their timers,
 * due in the same millisecond, fire within a few milliseconds of each other.
 */
export const ALIGNED_GATHER_MS = 50;

/** How a group controller describes its instances. */
export interface Describer {
  /**
   * Instances carrying every one of `tags`; given a list of tag sets, those carrying every tag of
   * any one set (each instance once). A rejection means "I do not know", never "none".
   * `epoch` is the asking leader's: sent on the call, so a fencing plugin learns of a new term
   * from its first look, before that leader ever needs to change anything (see docs/protocol.md).
   */
  describe(
    tags: Tags | readonly Tags[],
    signal: AbortSignal,
    epoch?: number,
    options?: DescribeOptions,
  ): Promise<InstanceDescription[]>;
}

export interface DescribeOptions {
  /**
   * The plugin's watch just said an instance of the group changed or went: the look should not
   * wait out the window (a coalescer sends it once no call is in flight, at most one such early
   * call per window).
   */
  urgent?: boolean;
}

export interface DescribeCoalescerStats {
  /** Describe calls made to the plugin. */
  calls: number;
  /** Describes asked for (one per group per tick), each answered by one of those calls. */
  requests: number;
  /** Plugin calls that failed; each failed every request it carried. */
  failures: number;
}

export interface DescribeCoalescer extends Describer {
  stats(): DescribeCoalescerStats;
}

export interface DescribeCoalescerOptions {
  plugin: InstancePlugin;
  /** The plugin's limiter; each merged call takes one token, in the `observe` lane. */
  limiter: PluginLimiter;
  clock?: Clock;
  /**
   * Least time between the starts of two calls. A request that finds the plugin idle for this
   * long goes out at once (with whatever arrived in the same turn of the event loop); others
   * wait for the next call. Default 200 ms.
   */
  windowMs?: number;
  /**
   * How long a request that finds the plugin idle waits for others before the call goes. Default
   * 0: to the end of this turn of the event loop. Groups with aligned ticks wake on timers due in
   * the same millisecond, which may fire a turn or a few milliseconds apart.
   */
  gatherMs?: number;
  /**
   * The window grows to `COST_FACTOR` times what the last call took (the call and its split),
   * up to this much: a fleet-wide answer of 100,000 instances is not fetched and copied five
   * times a second. Default 500 ms, half a default round, so every group still looks each round.
   */
  maxWindowMs?: number;
  random?: Random;
  /** Told of every plugin call, with how many requests it answers (metrics). */
  onCall?: (requests: number) => void;
}

const RESCHEDULED = new Error('an urgent describe moved the call earlier');

/** Merged calls take at most about 1/COST_FACTOR of the time: the window is ≥ this × their cost. */
const COST_FACTOR = 4;

interface Request {
  /** Any one of these tag sets. */
  tags: readonly Tags[];
  signal: AbortSignal;
  epoch: number | undefined;
  urgent: boolean;
  resolve: (found: InstanceDescription[]) => void;
  reject: (error: unknown) => void;
  done: boolean;
}

/**
 * Merges the describes of all groups on one plugin: one call, at most one in flight and at most
 * one per window, filtered by the tags every request has in common (for groups, none: each asks
 * for its own `tend.group`), then split per request by its own tags. That is the same answer
 * each request would have had on its own, since a plugin returns exactly the instances carrying
 * every asked tag. A failed call fails every request it carried: never an empty answer.
 */
export function createDescribeCoalescer(options: DescribeCoalescerOptions): DescribeCoalescer {
  const clock = options.clock ?? systemClock;
  const windowMs = options.windowMs ?? 200;
  const gatherMs = options.gatherMs ?? 0;
  const maxWindowMs = Math.max(windowMs, options.maxWindowMs ?? 500);
  /** How long the last call took, from its start to its answer split. */
  let lastCostMs = 0;
  const random = options.random ?? Math.random;
  let pending: Request[] = [];
  let inFlight = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  const stats: DescribeCoalescerStats = { calls: 0, requests: 0, failures: 0 };

  /** The flush waiting for its time: urgent or not, and how to call it off for an earlier one. */
  let scheduled: { urgent: boolean; cancel: AbortController } | undefined;
  /** Some request waiting now came from a watch event. */
  let urgentWaiting = false;
  /** Start of the last call that went before its window was over (an urgent one). */
  let lastEarlyStart = Number.NEGATIVE_INFINITY;

  const schedule = (): void => {
    if (inFlight || pending.length === 0) return;
    if (scheduled !== undefined && (scheduled.urgent || !urgentWaiting)) return;
    scheduled?.cancel.abort(RESCHEDULED);
    const cancel = new AbortController();
    const mine = { urgent: urgentWaiting, cancel };
    scheduled = mine;
    const now = clock.now();
    const full = Math.min(maxWindowMs, Math.max(windowMs, COST_FACTOR * lastCostMs));
    // A look the watch asked for (a heal) goes as soon as no call is in flight, so heal time is
    // that of an idle plugin however many groups keep it busy (#17: 1,000 groups vs 10) — but
    // one such early call per window at most, so a storm of watch events costs at most twice
    // the describes (a plugin's describes share its limiter's tokens with the heals' provisions).
    const early = urgentWaiting && now - lastEarlyStart >= full && lastStart + full > now;
    // Groups with aligned ticks wake on timers a few milliseconds apart: gather them (gatherMs).
    const wait = early ? 0 : Math.max(lastStart + full - now, gatherMs);
    // Even when due now, wait for the end of this turn: groups woken together ask together.
    const due =
      wait > 0 ? clock.sleep(wait, cancel.signal) : new Promise<void>((resolve) => setImmediate(resolve));
    due.then(
      () => {
        if (scheduled !== mine) return;
        scheduled = undefined;
        if (early) lastEarlyStart = clock.now();
        void flush();
      },
      () => {}, // called off for an earlier, urgent one
    );
  };

  const flush = async (): Promise<void> => {
    const batch = pending.filter((r) => !r.done);
    pending = [];
    urgentWaiting = false;
    if (batch.length === 0) return;
    inFlight = true;
    lastStart = clock.now();
    stats.calls += 1;
    stats.requests += batch.length;
    options.onCall?.(batch.length);
    // The call stops only when every request it carries has given up.
    const abort = new AbortController();
    let waiting = batch.length;
    const giveUp = () => {
      waiting -= 1;
      if (waiting === 0) abort.abort(new Error('every describe request was aborted'));
    };
    for (const r of batch) r.signal.addEventListener('abort', giveUp, { once: true });
    const common = commonTags(batch.flatMap((r) => r.tags));
    const epoch = highestEpoch(batch);
    try {
      const found = await limitedCall(
        { limiter: options.limiter, clock, random, signal: abort.signal },
        () =>
          options.plugin.describeInstances(common, {
            signal: abort.signal,
            ...(epoch === undefined ? {} : { epoch }),
          }),
        'observe',
      );
      const answers = splitByRequest(found, batch);
      for (const r of batch) settle(r, () => r.resolve(answers.get(r) ?? []));
    } catch (error) {
      stats.failures += 1;
      for (const r of batch) settle(r, () => r.reject(error));
    } finally {
      for (const r of batch) r.signal.removeEventListener('abort', giveUp);
      lastCostMs = clock.now() - lastStart;
      inFlight = false;
      schedule();
    }
  };

  return {
    describe(tags, signal, epoch, describeOptions = {}) {
      signal.throwIfAborted();
      return new Promise<InstanceDescription[]>((resolve, reject) => {
        const urgent = describeOptions.urgent === true;
        const request: Request = { tags: anyOf(tags), signal, epoch, urgent, resolve, reject, done: false };
        const onAbort = () => settle(request, () => reject(signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
        request.resolve = (found) => {
          signal.removeEventListener('abort', onAbort);
          resolve(found);
        };
        request.reject = (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        };
        pending.push(request);
        if (urgent) urgentWaiting = true;
        schedule();
      });
    },
    stats: () => ({ ...stats }),
  };
}

function settle(request: Request, action: () => void): void {
  if (request.done) return;
  request.done = true;
  action();
}

/** Requests of two terms can share a call only across a change of leader: send the newer. */
function highestEpoch(batch: readonly Request[]): number | undefined {
  let highest: number | undefined;
  for (const r of batch)
    if (r.epoch !== undefined && (highest === undefined || r.epoch > highest)) highest = r.epoch;
  return highest;
}

/** The tags (name and value) every request asks for. */
function commonTags(all: readonly Tags[]): Tags {
  const [first, ...rest] = all;
  if (first === undefined) return {};
  const common: Record<string, string> = {};
  for (const [key, value] of Object.entries(first)) {
    if (rest.every((tags) => tags[key] === value)) common[key] = value;
  }
  return common;
}

/**
 * Each request's share of `found` (those carrying all its tags, in `found`'s order), in one pass
 * over `found` rather than one per request: 1,000 groups on a plugin of 100,000 instances made
 * the per-request filter 10^8 tag checks a call, 84% of a 1,000 × 100 manager's CPU. The pass
 * goes by one tag every request asks for (a group's `tend.group`), with the most distinct values;
 * requests without such a tag get the plain filter.
 */
function splitByRequest(
  found: readonly InstanceDescription[],
  batch: readonly Request[],
): Map<Request, InstanceDescription[]> {
  const answers = new Map<Request, InstanceDescription[]>();
  // A request for any of several tag sets (a first look that also finds InfraKit's members) is
  // rare: the plain filter. The rest ask for one tag set each and share the one pass.
  const single: Array<{ request: Request; tags: Tags }> = [];
  for (const r of batch) {
    const [tags, ...others] = r.tags;
    if (tags !== undefined && others.length === 0) single.push({ request: r, tags });
    else
      answers.set(
        r,
        found.filter((d) => r.tags.some((t) => carries(d.tags, t))),
      );
  }
  const key = discriminatingKey(single.map((s) => s.tags));
  if (key === undefined) {
    for (const { request, tags } of single)
      answers.set(
        request,
        found.filter((d) => carries(d.tags, tags)),
      );
    return answers;
  }
  const byValue = new Map<string, Array<{ request: Request; tags: Tags }>>();
  for (const one of single) {
    answers.set(one.request, []);
    const value = one.tags[key] ?? '';
    const list = byValue.get(value);
    if (list === undefined) byValue.set(value, [one]);
    else list.push(one);
  }
  for (const d of found) {
    const value = d.tags[key];
    if (value === undefined) continue;
    for (const { request, tags } of byValue.get(value) ?? [])
      if (carries(d.tags, tags)) answers.get(request)?.push(d);
  }
  return answers;
}

/** A tag name every request asks for, the one with the most distinct values; none if no such tag. */
function discriminatingKey(all: readonly Tags[]): string | undefined {
  const [first] = all;
  if (first === undefined) return undefined;
  let best: string | undefined;
  let bestValues = 0;
  for (const key of Object.keys(first)) {
    const values = new Set<string>();
    let everyOne = true;
    for (const tags of all) {
      const value = tags[key];
      if (value === undefined) {
        everyOne = false;
        break;
      }
      values.add(value);
    }
    if (everyOne && values.size > bestValues) {
      best = key;
      bestValues = values.size;
    }
  }
  return best;
}

function carries(tags: Tags, wanted: Tags): boolean {
  for (const [key, value] of Object.entries(wanted)) if (tags[key] !== value) return false;
  return true;
}

function anyOf(tags: Tags | readonly Tags[]): readonly Tags[] {
  return Array.isArray(tags) ? tags : [tags as Tags];
}

/**
 * No merging: each describe is its own call, through the limiter's `observe` lane; a list of tag
 * sets is one call per set, in turn (a failure ends it), each instance kept once.
 */
export function directDescriber(
  options: Omit<DescribeCoalescerOptions, 'windowMs' | 'gatherMs' | 'onCall'>,
): Describer {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const one = (tags: Tags, signal: AbortSignal, epoch: number | undefined) =>
    limitedCall(
      { limiter: options.limiter, clock, random, signal },
      () => options.plugin.describeInstances(tags, { signal, ...(epoch === undefined ? {} : { epoch }) }),
      'observe',
    );
  return {
    async describe(tags, signal, epoch) {
      const found = new Map<string, InstanceDescription>();
      for (const set of anyOf(tags))
        for (const d of await one(set, signal, epoch)) if (!found.has(d.id)) found.set(d.id, d);
      return [...found.values()];
    },
  };
}
