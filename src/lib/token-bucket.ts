import type { Clock } from './clock.js';

export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSec: number;
  /** Most tokens the bucket holds (and the size of a burst after a quiet spell). */
  burst: number;
  clock: Clock;
  /** Tokens at start. Default `burst`. */
  initialTokens?: number;
}

/**
 * A token bucket on an injected clock. `take` reserves a token at once and sleeps until it is
 * due, so a thousand waiters cost a thousand timers, not a polling herd (as Go's
 * `rate.Limiter.Reserve` does). The balance may go negative: that debt is the queue.
 */
export interface TokenBucket {
  /** Resolves when a token is granted; rejects with the signal's reason when aborted. */
  take(signal?: AbortSignal): Promise<void>;
  /** Takes a token only if one is available now. */
  tryTake(): boolean;
  setRate(ratePerSec: number): void;
  readonly ratePerSec: number;
  /** Tokens available now (negative while callers wait). */
  available(): number;
}

export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const { clock, burst } = options;
  let rate = positive(options.ratePerSec);
  let tokens = Math.min(burst, options.initialTokens ?? burst);
  let last = clock.now();

  const refill = (): void => {
    const now = clock.now();
    if (now > last) tokens = Math.min(burst, tokens + ((now - last) * rate) / 1000);
    last = now;
  };

  return {
    async take(signal) {
      signal?.throwIfAborted();
      refill();
      tokens -= 1;
      if (tokens >= 0) return;
      const waitMs = Math.ceil((-tokens * 1000) / rate);
      try {
        await clock.sleep(waitMs, signal);
      } catch (error) {
        refill();
        tokens += 1; // give the reservation back so later callers are not delayed by it
        throw error;
      }
    },
    tryTake() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    setRate(ratePerSec) {
      refill();
      rate = positive(ratePerSec);
    },
    get ratePerSec() {
      return rate;
    },
    available() {
      refill();
      return tokens;
    },
  };
}

function positive(rate: number): number {
  if (!(rate > 0) || !Number.isFinite(rate))
    throw new RangeError(`rate must be a positive number, got ${rate}`);
  return rate;
}
