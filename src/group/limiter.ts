import { type Clock, createTokenBucket, systemClock } from '../lib/index.js';
import { TendError } from '../spi/index.js';

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

export interface LimiterStats {
  calls: number;
  throttled: number;
  ratePerSec: number;
  inFlight: number;
  queued: number;
}

/**
 * One limiter per instance plugin, shared by every group that uses the plugin: a token bucket,
 * a concurrency limit, and AIMD on the rate — a `throttled` answer cuts it by 30%, successes add
 * back slowly — the way TCP finds a link's capacity without knowing it.
 */
/** Multiplicative decrease. 0.7 rather than TCP's 0.5: as AWS SDKs' adaptive retry, gentler. */
const DECREASE_FACTOR = 0.7;

export interface PluginLimiter {
  /** Runs `call` when a token and a slot are free. Rejects at once if `signal` aborts while queued. */
  run<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  stats(): LimiterStats;
}

export function createPluginLimiter(options: PluginLimiterOptions): PluginLimiter {
  const clock = options.clock ?? systemClock;
  const maxRate = options.ratePerSec;
  const minRate = options.minRatePerSec ?? maxRate / 20;
  const step = options.increasePerSuccess ?? maxRate / 500;
  const decreaseInterval = options.decreaseIntervalMs ?? 1_000;
  const bucket = createTokenBucket({ ratePerSec: maxRate, burst: options.burst, clock });
  let lastDecrease = Number.NEGATIVE_INFINITY;
  const slots = createSemaphore(options.concurrency);
  let calls = 0;
  let throttled = 0;

  return {
    async run(call, signal) {
      await slots.acquire(signal);
      try {
        await bucket.take(signal);
        calls += 1;
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
        slots.release();
      }
    },
    stats: () => ({
      calls,
      throttled,
      ratePerSec: bucket.ratePerSec,
      inFlight: slots.inUse(),
      queued: slots.waiting(),
    }),
  };
}

interface Semaphore {
  acquire(signal?: AbortSignal): Promise<void>;
  release(): void;
  inUse(): number;
  waiting(): number;
}

function createSemaphore(size: number): Semaphore {
  let used = 0;
  const queue: Array<() => void> = [];
  return {
    acquire(signal) {
      signal?.throwIfAborted();
      if (used < size) {
        used += 1;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const grant = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const at = queue.indexOf(grant);
          if (at >= 0) queue.splice(at, 1);
          reject(signal?.reason);
        };
        queue.push(grant);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    release() {
      const next = queue.shift();
      if (next === undefined) used -= 1;
      else next(); // hand the slot over directly: `used` stays the same
    },
    inUse: () => used,
    waiting: () => queue.length,
  };
}
