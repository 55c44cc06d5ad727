import type { Random } from './random.js';

export interface BackoffOptions {
  /** Delay scale of the first retry. */
  baseMs: number;
  /** No delay ever exceeds this. */
  capMs: number;
  /** Defaults to Math.random; inject a seeded one in tests. */
  random?: Random;
}

/**
 * Exponential backoff with full jitter: a uniform draw in [0, min(cap, base·2^attempt)).
 * Full jitter spreads retries of many clients that failed together (AWS Architecture Blog,
 * "Exponential Backoff and Jitter"), which is what a throttled cloud API needs.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const exponent = Math.min(Math.max(0, attempt), 30);
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/** Counts consecutive failures and turns them into delays; a success starts over. */
export interface Backoff {
  /** The delay before the next attempt, and count one more failure. */
  next(): number;
  reset(): void;
  readonly attempts: number;
}

export function createBackoff(options: BackoffOptions): Backoff {
  let attempts = 0;
  return {
    next: () => backoffDelay(attempts++, options),
    reset: () => {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}
