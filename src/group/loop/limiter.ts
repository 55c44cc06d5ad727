import { type Clock, LinkedQueue, type QueueEntry, systemClock } from '../../lib/index.js';
import { TendError } from '../../spi/index.js';
import { type AdaptiveRate, createAdaptiveRate, type RatePacing } from './adaptive-rate.js';

/** The three numbers an operator sets per plugin (`--plugin-config`'s `limits`). */
export interface PluginLimits {
  /** Calls per second the plugin is allowed at most (and starts at). */
  ratePerSec: number;
  /** Calls that may go at once after a quiet spell. */
  burst: number;
  /** Calls in flight at once. */
  concurrency: number;
  /**
   * How the rate follows `throttled` answers (see `RatePacing`); default `aimd`. Set by a plugin
   * kind (`cloud` for EC2), not by the file: with `cloud`, describes (the `observe` lane) also
   * have a rate of their own, as EC2 meters read-only calls in a bucket of their own.
   */
  pacing?: RatePacing;
}

/** For a plugin whose kind sets no limits of its own (sockets, process, docker, simulator). */
export const DEFAULT_PLUGIN_LIMITS: Readonly<PluginLimits> = { ratePerSec: 20, burst: 20, concurrency: 8 };

export interface PluginLimiterOptions extends PluginLimits {
  clock?: Clock;
  /** AIMD floor: a throttled plugin is never driven below this rate. Default ratePerSec / 20. */
  minRatePerSec?: number;
  /** AIMD additive step per successful call. Default ratePerSec / 500. */
  increasePerSuccess?: number;
  /**
   * Throttled answers within this long of a decrease do not decrease again: calls already in
   * flight report the same congestion, and halving once per answer would collapse the rate
   * (TCP likewise halves once per window). Default 1000 ms.
   */
  decreaseIntervalMs?: number;
}

/**
 * Which queue a call waits in. `observe` (describes) goes first and has one slot of its own
 * beyond `concurrency`, so a group's view of its instances never waits behind mutating calls;
 * then `heal` (replacing lost or unhealthy instances, removing duplicates); then `change`
 * (rollouts, scaling, everything else). Within a lane, first come, first served.
 */
export type LimiterLane = 'observe' | 'heal' | 'change';

const LANES: readonly LimiterLane[] = ['observe', 'heal', 'change'];

export interface LimiterStats {
  calls: number;
  throttled: number;
  /** The rate of mutating calls (heal, change); with `aimd` pacing, of every call. */
  ratePerSec: number;
  /** The rate of describes (`observe`): its own with `cloud` pacing, else `ratePerSec`. */
  observeRatePerSec: number;
  inFlight: number;
  queued: number;
  /** Calls started per lane. */
  callsByLane: Readonly<Record<LimiterLane, number>>;
  queuedByLane: Readonly<Record<LimiterLane, number>>;
}

/**
 * One limiter per instance plugin, shared by every group that uses the plugin: a token bucket,
 * a concurrency limit, and a rate that adapts to `throttled` answers (AIMD, or `cloud` pacing) —
 * the way TCP finds a link's capacity without knowing it. When tokens or slots are short,
 * waiting calls are served by lane: observe, then heal, then change.
 */

export interface PluginLimiter {
  /**
   * Runs `call` when a token and a slot are free, in `lane`'s turn (default `change`). Rejects at
   * once if `signal` aborts while queued.
   */
  run<T>(call: () => Promise<T>, signal?: AbortSignal, lane?: LimiterLane): Promise<T>;
  stats(): LimiterStats;
  /** How its rate follows `throttled` answers (the kind's choice). */
  readonly pacing: RatePacing;
}

interface Waiter {
  lane: LimiterLane;
  grant: () => void;
  fail: (reason: unknown) => void;
  /** Its place in its lane's queue, for an O(1) removal on abort. */
  entry?: QueueEntry<Waiter>;
}

/**
 * The waiters queued under each abort signal, with one `abort` listener per signal rather than
 * one per waiter: a group's provisions share its signal, and 100,000 listeners on one signal make
 * each `removeEventListener` walk them all (and Node warns `MaxListenersExceededWarning`).
 */
class AbortWatch {
  private readonly bySignal = new Map<AbortSignal, { waiters: Set<Waiter>; onAbort: () => void }>();

  private readonly dequeue: (waiter: Waiter) => void;

  constructor(dequeue: (waiter: Waiter) => void) {
    this.dequeue = dequeue;
  }

  add(signal: AbortSignal, waiter: Waiter): void {
    let watched = this.bySignal.get(signal);
    if (watched === undefined) {
      const waiters = new Set<Waiter>();
      const onAbort = () => {
        this.bySignal.delete(signal);
        for (const w of waiters) {
          this.dequeue(w);
          w.fail(signal.reason);
        }
      };
      watched = { waiters, onAbort };
      this.bySignal.set(signal, watched);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    watched.waiters.add(waiter);
  }

  /** The waiter was granted: forget it, and the signal's listener once no waiter is left. */
  delete(signal: AbortSignal, waiter: Waiter): void {
    const watched = this.bySignal.get(signal);
    if (watched === undefined) return;
    watched.waiters.delete(waiter);
    if (watched.waiters.size > 0) return;
    this.bySignal.delete(signal);
    signal.removeEventListener('abort', watched.onAbort);
  }
}

export function createPluginLimiter(options: PluginLimiterOptions): PluginLimiter {
  const clock = options.clock ?? systemClock;
  const pacing = options.pacing ?? 'aimd';
  const newRate = () =>
    createAdaptiveRate({
      ratePerSec: options.ratePerSec,
      burst: options.burst,
      clock,
      pacing,
      minRatePerSec: options.minRatePerSec ?? options.ratePerSec / 20,
      increasePerSuccess: options.increasePerSuccess ?? options.ratePerSec / 500,
      decreaseIntervalMs: options.decreaseIntervalMs ?? 1_000,
    });
  const mutatingRate = newRate();
  // EC2 meters read-only calls apart from mutating ones: a describe refused must not slow
  // launches, nor describes spend the launch rate.
  const observeRate = pacing === 'cloud' ? newRate() : mutatingRate;
  const rateOf = (lane: LimiterLane): AdaptiveRate => (lane === 'observe' ? observeRate : mutatingRate);
  const concurrency = options.concurrency;
  const queues: Record<LimiterLane, LinkedQueue<Waiter>> = {
    observe: new LinkedQueue(),
    heal: new LinkedQueue(),
    change: new LinkedQueue(),
  };
  const callsByLane: Record<LimiterLane, number> = { observe: 0, heal: 0, change: 0 };
  let observing = 0;
  let mutating = 0;
  let calls = 0;
  let throttled = 0;

  // Observe may use the one extra slot; the other lanes share `concurrency`.
  const slotFree = (lane: LimiterLane) =>
    lane === 'observe' ? observing + mutating < concurrency + 1 : observing + mutating < concurrency;

  /**
   * Starts waiting calls while slots and tokens last, highest lane first. A lane whose rate has
   * no token holds back the lanes after it on the same rate (heal before change), not those on
   * another (with `cloud` pacing, describes and mutations wait for different tokens).
   */
  const pump = (): void => {
    for (;;) {
      const short = new Set<AdaptiveRate>();
      const lane = LANES.find((l) => {
        if (queues[l].size === 0 || !slotFree(l) || short.has(rateOf(l))) return false;
        if (rateOf(l).bucket.tryTake()) return true;
        short.add(rateOf(l));
        return false;
      });
      if (lane === undefined) {
        for (const rate of short) armTimer(rate);
        return;
      }
      const waiter = queues[lane].shift();
      if (lane === 'observe') observing += 1;
      else mutating += 1;
      waiter?.grant();
    }
  };

  // One timer per rate for its next token, however many wait: the queue holds the order.
  const armed = new Set<AdaptiveRate>();
  const armTimer = (rate: AdaptiveRate): void => {
    if (armed.has(rate)) return;
    armed.add(rate);
    const { bucket } = rate;
    const wait = Math.max(1, Math.ceil(((1 - bucket.available()) * 1000) / bucket.ratePerSec));
    void clock.sleep(wait).then(() => {
      armed.delete(rate);
      pump();
    });
  };

  // `shift` and `remove` are O(1), so 100,000 queued provisions cost O(1) each, not O(queue).
  const aborts = new AbortWatch((waiter) => {
    if (waiter.entry !== undefined) queues[waiter.lane].remove(waiter.entry);
  });

  const acquire = (lane: LimiterLane, signal: AbortSignal | undefined): Promise<void> => {
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        lane,
        grant: () => {
          if (signal !== undefined) aborts.delete(signal, waiter);
          resolve();
        },
        fail: reject,
      };
      waiter.entry = queues[lane].push(waiter);
      if (signal !== undefined) aborts.add(signal, waiter);
      pump();
    });
  };

  return {
    async run(call, signal, lane = 'change') {
      await acquire(lane, signal);
      try {
        calls += 1;
        callsByLane[lane] += 1;
        try {
          const result = await call();
          rateOf(lane).succeeded();
          return result;
        } catch (error) {
          if (TendError.is(error, 'throttled')) {
            throttled += 1;
            rateOf(lane).throttled();
          }
          throw error;
        }
      } finally {
        if (lane === 'observe') observing -= 1;
        else mutating -= 1;
        pump();
      }
    },
    pacing,
    stats: () => ({
      calls,
      throttled,
      ratePerSec: mutatingRate.bucket.ratePerSec,
      observeRatePerSec: observeRate.bucket.ratePerSec,
      inFlight: observing + mutating,
      queued: LANES.reduce((n, l) => n + queues[l].size, 0),
      callsByLane: { ...callsByLane },
      queuedByLane: {
        observe: queues.observe.size,
        heal: queues.heal.size,
        change: queues.change.size,
      },
    }),
  };
}
