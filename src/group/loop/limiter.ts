import { type Clock, createTokenBucket, systemClock } from '../../lib/index.js';
import { TendError } from '../../spi/index.js';

/** The three numbers an operator sets per plugin (`--plugin-config`'s `limits`). */
export interface PluginLimits {
  /** Calls per second the plugin is allowed at most (and starts at). */
  ratePerSec: number;
  /** Calls that may go at once after a quiet spell. */
  burst: number;
  /** Calls in flight at once. */
  concurrency: number;
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
  ratePerSec: number;
  inFlight: number;
  queued: number;
  /** Calls started per lane. */
  callsByLane: Readonly<Record<LimiterLane, number>>;
  queuedByLane: Readonly<Record<LimiterLane, number>>;
}

/**
 * One limiter per instance plugin, shared by every group that uses the plugin: a token bucket,
 * a concurrency limit, and AIMD on the rate — a `throttled` answer cuts it by 30%, successes add
 * back slowly — the way TCP finds a link's capacity without knowing it. When tokens or slots are
 * short, waiting calls are served by lane: observe, then heal, then change.
 */
/** Multiplicative decrease. 0.7 rather than TCP's 0.5: as AWS SDKs' adaptive retry, gentler. */
const DECREASE_FACTOR = 0.7;

export interface PluginLimiter {
  /**
   * Runs `call` when a token and a slot are free, in `lane`'s turn (default `change`). Rejects at
   * once if `signal` aborts while queued.
   */
  run<T>(call: () => Promise<T>, signal?: AbortSignal, lane?: LimiterLane): Promise<T>;
  stats(): LimiterStats;
}

interface Waiter {
  grant: () => void;
}

export function createPluginLimiter(options: PluginLimiterOptions): PluginLimiter {
  const clock = options.clock ?? systemClock;
  const maxRate = options.ratePerSec;
  const minRate = options.minRatePerSec ?? maxRate / 20;
  const step = options.increasePerSuccess ?? maxRate / 500;
  const decreaseInterval = options.decreaseIntervalMs ?? 1_000;
  const bucket = createTokenBucket({ ratePerSec: maxRate, burst: options.burst, clock });
  const concurrency = options.concurrency;
  let lastDecrease = Number.NEGATIVE_INFINITY;
  const queues: Record<LimiterLane, Waiter[]> = { observe: [], heal: [], change: [] };
  const callsByLane: Record<LimiterLane, number> = { observe: 0, heal: 0, change: 0 };
  let observing = 0;
  let mutating = 0;
  let timerArmed = false;
  let calls = 0;
  let throttled = 0;

  // Observe may use the one extra slot; the other lanes share `concurrency`.
  const slotFree = (lane: LimiterLane) =>
    lane === 'observe' ? observing + mutating < concurrency + 1 : observing + mutating < concurrency;

  /** Starts waiting calls while slots and tokens last, highest lane first. */
  const pump = (): void => {
    for (;;) {
      const lane = LANES.find((l) => queues[l].length > 0 && slotFree(l));
      if (lane === undefined) return;
      if (!bucket.tryTake()) {
        armTimer();
        return;
      }
      const waiter = queues[lane].shift();
      if (lane === 'observe') observing += 1;
      else mutating += 1;
      waiter?.grant();
    }
  };

  // One timer for the next token, however many wait: the queue, not the timers, holds the order.
  const armTimer = (): void => {
    if (timerArmed) return;
    timerArmed = true;
    const wait = Math.max(1, Math.ceil(((1 - bucket.available()) * 1000) / bucket.ratePerSec));
    void clock.sleep(wait).then(() => {
      timerArmed = false;
      pump();
    });
  };

  const acquire = (lane: LimiterLane, signal: AbortSignal | undefined): Promise<void> => {
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = queues[lane].indexOf(waiter);
        if (at >= 0) queues[lane].splice(at, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      queues[lane].push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
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
          if (bucket.ratePerSec < maxRate) bucket.setRate(Math.min(maxRate, bucket.ratePerSec + step));
          return result;
        } catch (error) {
          if (TendError.is(error, 'throttled')) {
            throttled += 1;
            if (clock.now() - lastDecrease >= decreaseInterval) {
              lastDecrease = clock.now();
              bucket.setRate(Math.max(minRate, bucket.ratePerSec * DECREASE_FACTOR));
            }
          }
          throw error;
        }
      } finally {
        if (lane === 'observe') observing -= 1;
        else mutating -= 1;
        pump();
      }
    },
    stats: () => ({
      calls,
      throttled,
      ratePerSec: bucket.ratePerSec,
      inFlight: observing + mutating,
      queued: LANES.reduce((n, l) => n + queues[l].length, 0),
      callsByLane: { ...callsByLane },
      queuedByLane: {
        observe: queues.observe.length,
        heal: queues.heal.length,
        change: queues.change.length,
      },
    }),
  };
}
