import { type Clock, createTokenBucket, type TokenBucket } from '../../lib/index.js';

/**
 * How a limiter's rate follows `throttled` answers.
 * - `aimd`: a cut by 0.7, a small fixed step back per success; starts with its whole burst. For
 *   plugins whose limit is the machine's or a daemon's, where a guess high costs little.
 * - `cloud`: for an API that meters the account with its own token buckets (EC2). Starts with one
 *   token, not a blind burst (the account's bucket may be spent); a cut goes to 0.9 × the rate the
 *   API actually admitted over the last seconds (its refill rate, when the cut is due to it),
 *   or to half the rate refused while nothing was admitted yet; the rate grows per second of use,
 *   not per success: fast up to 0.9 × the rate last refused, then slowly to it, then slower still. So a configured rate that is 2× the real
 *   one costs a few refused calls, not a run at 0.7 × the real rate.
 */
export type RatePacing = 'aimd' | 'cloud';

export interface AdaptiveRateOptions {
  /** The configured rate: the ceiling, and the rate at start. */
  ratePerSec: number;
  burst: number;
  clock: Clock;
  pacing: RatePacing;
  /** Never driven below this rate. */
  minRatePerSec: number;
  /** `aimd`'s additive step per success. */
  increasePerSuccess: number;
  /** Throttled answers within this long of a cut do not cut again (they report the same congestion). */
  decreaseIntervalMs: number;
}

/** A token bucket whose rate adapts to the platform's `throttled` answers. */
export interface AdaptiveRate {
  readonly bucket: TokenBucket;
  succeeded(): void;
  throttled(): void;
  /** The platform's rate as last measured at a cut (`cloud`), if any. */
  readonly estimate: number | undefined;
}

/** Multiplicative decrease. 0.7 rather than TCP's 0.5: as AWS SDKs' adaptive retry, gentler. */
const DECREASE_FACTOR = 0.7;
/** `cloud`: the cut while nothing is measured. */
const UNKNOWN_DECREASE_FACTOR = 0.5;
/** `cloud`: successes counted over this long to measure what the platform admits. */
const MEASURE_MS = 5_000;
/** `cloud`: fewer successes than this in the window measure nothing (the start, a quiet spell). */
const MIN_SAMPLES = 4;
/** `cloud`: after a cut, the rate is this share of the measured one (room for the bucket to refill). */
const BELOW_ESTIMATE = 0.9;
/**
 * `cloud`: growth per second of use: fast well below the last rate refused (or with nothing
 * refused yet), slower just below it, slowest above it (probing for a raised limit).
 */
const GROWTH_FAST = 0.1;
const GROWTH_NEAR = 0.03;
const GROWTH_ABOVE = 0.005;

export function createAdaptiveRate(options: AdaptiveRateOptions): AdaptiveRate {
  const { clock, pacing } = options;
  const maxRate = options.ratePerSec;
  const bucket = createTokenBucket({
    ratePerSec: maxRate,
    burst: options.burst,
    clock,
    ...(pacing === 'cloud' ? { initialTokens: 1 } : {}),
  });
  let lastDecrease = Number.NEGATIVE_INFINITY;
  let lastGrowth: number | undefined;
  let estimate: number | undefined;
  /** `cloud`: the rate last found too high: the measured one, else the rate that was refused. */
  let refusedRate: number | undefined;
  /** `cloud`: times of recent successes, oldest first. */
  const successes: number[] = [];
  let firstCall: number | undefined;

  const set = (rate: number) => bucket.setRate(Math.min(maxRate, Math.max(options.minRatePerSec, rate)));

  /** Successes per second over the window (or since the first call, if more recent); undefined if too few. */
  const measured = (now: number): number | undefined => {
    while (successes.length > 0 && (successes[0] ?? now) < now - MEASURE_MS) successes.shift();
    if (successes.length < MIN_SAMPLES) return undefined;
    const span = Math.min(MEASURE_MS, now - (firstCall ?? now));
    return span > 0 ? (successes.length * 1000) / span : undefined;
  };

  const growCloud = (now: number) => {
    // Per second of use, at most one second's worth at a time: a quiet spell proves nothing.
    const seconds = Math.min(1, (now - (lastGrowth ?? now)) / 1000);
    lastGrowth = now;
    const rate = bucket.ratePerSec;
    const growth =
      refusedRate === undefined || rate < BELOW_ESTIMATE * refusedRate
        ? GROWTH_FAST
        : rate < refusedRate
          ? GROWTH_NEAR
          : GROWTH_ABOVE;
    if (rate < maxRate) set(rate * (1 + growth * seconds));
  };

  return {
    bucket,
    get estimate() {
      return estimate;
    },
    succeeded() {
      if (pacing === 'aimd') {
        if (bucket.ratePerSec < maxRate) set(bucket.ratePerSec + options.increasePerSuccess);
        return;
      }
      const now = clock.now();
      firstCall ??= now;
      successes.push(now);
      growCloud(now);
    },
    throttled() {
      const now = clock.now();
      firstCall ??= now;
      if (now - lastDecrease < options.decreaseIntervalMs) return;
      lastDecrease = now;
      const rate = bucket.ratePerSec;
      if (pacing === 'aimd') return set(rate * DECREASE_FACTOR);
      lastGrowth = now;
      const admitted = measured(now);
      // Refused before anything was admitted: the account's bucket is spent and its rate unknown;
      // halve, as TCP does, rather than keep refused calls coming at 0.7 of a guess.
      if (admitted === undefined) {
        refusedRate = rate;
        return set(rate * UNKNOWN_DECREASE_FACTOR);
      }
      estimate = admitted;
      refusedRate = admitted;
      // Not above 0.9 × the rate that was refused, not below a quarter of it: a few successes in
      // a quiet window must not read as a tiny platform rate.
      set(Math.min(rate * BELOW_ESTIMATE, Math.max(rate * 0.25, admitted * BELOW_ESTIMATE)));
    },
  };
}
