import type { Clock, Logger } from '../../../lib/index.js';
import { TendError } from '../../../spi/index.js';

/** The calls the simulator counts and throttles, as EC2 buckets them. */
export type SimulatorCallKind = 'validate' | 'provision' | 'label' | 'destroy' | 'describe';

export const simulatorCallKinds: readonly SimulatorCallKind[] = [
  'validate',
  'provision',
  'label',
  'destroy',
  'describe',
];

/** A token bucket: `burst` tokens at most, refilled at `ratePerSec`. */
export interface RateLimit {
  ratePerSec: number;
  burst: number;
}

/** Probabilities in [0, 1]. Call faults are drawn per call; time faults per instance per tick. */
export interface SimulatorFaults {
  /** Provision fails with `unavailable` and creates nothing. */
  provisionFailureRate: number;
  /** Provision creates the instance, then rejects with `unavailable` (the response was lost). */
  lostResponseRate: number;
  /** Describe rejects with `unavailable`. */
  describeFailureRate: number;
  /** Per instance per tick: the instance disappears (and watchers hear `gone`). */
  vanishRate: number;
  /** Per instance per tick: a healthy instance turns unhealthy, and stays so. */
  unhealthyRate: number;
}

export interface SimulatorOptions {
  clock: Clock;
  /** Every random choice (IDs, latency, faults) follows from it: same seed and calls, same run. */
  seed: number;
  /** Each call sleeps on `clock` for a whole number of ms drawn from [min, max]. Default: none. */
  latencyMs?: { min: number; max: number };
  /** Per call kind; `'unlimited'` turns a bucket off. Defaults: `defaultRateLimits`. */
  rateLimits?: Partial<Record<SimulatorCallKind, RateLimit | 'unlimited'>>;
  faults?: Partial<SimulatorFaults>;
  /** Length of the tick that `vanishRate` and `unhealthyRate` apply to. Default 1000 ms. */
  tickMs?: number;
  /**
   * Also apply time faults from a background loop on `clock`, so watchers hear of vanished
   * instances without any call being made. Otherwise they apply lazily, at the next call or
   * `tick()`. Stopped by `close()`.
   */
  autoTick?: boolean;
  logger?: Logger;
}

/**
 * EC2's request-rate buckets, scaled down so that throttling shows up in small tests: mutating
 * calls are scarce, describes plentiful. `validate` never reaches the "cloud", so it is free.
 */
export const defaultRateLimits: Readonly<Record<SimulatorCallKind, RateLimit | 'unlimited'>> = {
  validate: 'unlimited',
  provision: { ratePerSec: 2, burst: 5 },
  describe: { ratePerSec: 20, burst: 100 },
  destroy: { ratePerSec: 5, burst: 10 },
  label: { ratePerSec: 10, burst: 20 },
};

export const noFaults: Readonly<SimulatorFaults> = {
  provisionFailureRate: 0,
  lostResponseRate: 0,
  describeFailureRate: 0,
  vanishRate: 0,
  unhealthyRate: 0,
};

function invalid(message: string): TendError {
  return new TendError('invalid_spec', `simulator: ${message}`);
}

/** Checks fault rates; a typo'd or out-of-range rate is a bug in the test, so it fails loudly. */
export function checkFaults(faults: Partial<SimulatorFaults>): Partial<SimulatorFaults> {
  for (const [name, rate] of Object.entries(faults)) {
    if (!(name in noFaults)) throw invalid(`unknown fault "${name}"`);
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      throw invalid(`faults.${name} must be a probability between 0 and 1, got ${String(rate)}`);
    }
  }
  return faults;
}

export function checkOptions(options: SimulatorOptions): void {
  if (!Number.isFinite(options.seed)) throw invalid(`seed must be a finite number, got ${options.seed}`);
  const latency = options.latencyMs;
  if (
    latency !== undefined &&
    !(latency.min >= 0 && latency.max >= latency.min && Number.isFinite(latency.max))
  ) {
    throw invalid(`latencyMs must satisfy 0 ≤ min ≤ max, got ${JSON.stringify(latency)}`);
  }
  if (options.tickMs !== undefined && !(options.tickMs > 0 && Number.isFinite(options.tickMs))) {
    throw invalid(`tickMs must be above 0, got ${options.tickMs}`);
  }
  for (const [kind, limit] of Object.entries(options.rateLimits ?? {})) {
    if (limit === 'unlimited' || limit === undefined) continue;
    if (!(limit.ratePerSec > 0 && limit.burst >= 1 && Number.isFinite(limit.ratePerSec))) {
      throw invalid(`rateLimits.${kind} needs ratePerSec > 0 and burst ≥ 1, got ${JSON.stringify(limit)}`);
    }
  }
  checkFaults(options.faults ?? {});
}
