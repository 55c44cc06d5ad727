import { backoffDelay, type Random } from '../../lib/index.js';
import type { GroupSpec } from '../../spi/index.js';
import { desiredCount } from '../plan/helpers.js';
import type { BreakerState, ObservedInstance } from '../plan/types.js';
import type { BreakerVerdict } from './breaker.js';

/**
 * Pacing of replacements after failures: the n-th failure in a row holds the next replacement
 * back for a full-jitter draw below min(cap, base·2^(n-1)). The breaker stops the loop after
 * `threshold` failures; this keeps the attempts before that (and any high threshold) from running
 * at the speed of the platform's events. The cap matches the loop's own backoff cap.
 */
export const REPLACEMENT_BACKOFF = { baseMs: 1_000, capMs: 30_000 } as const;

/** Instances that exited by themselves before they were stable count as failed replacements. */
export function earlyExitVerdicts(exits: ReadonlyArray<{ id: string; ageMs: number }>): BreakerVerdict[] {
  return exits.map((exit) => ({
    type: 'failed',
    reason: `instance ${exit.id} was gone ${exit.ageMs} ms after creation`,
    earlyExit: true,
  }));
}

/**
 * After new failures (`before` → `after`), the next replacement waits out a backoff (see
 * REPLACEMENT_BACKOFF); undefined when there is nothing to pace.
 */
export function pacing(
  before: BreakerState,
  after: BreakerState,
  now: number,
  random: Random,
): BreakerVerdict | undefined {
  const failures = after.consecutiveFailures;
  if (failures <= before.consecutiveFailures || after.status !== 'closed') return undefined;
  return { type: 'paced', retryAt: now + backoffDelay(failures - 1, { ...REPLACEMENT_BACKOFF, random }) };
}

/** Everything current, in count, none unhealthy, all past grace and unhealthyAfter: a quiet group. */
export function settled(
  observed: readonly ObservedInstance[],
  spec: GroupSpec,
  targetConfig: string,
  now: number,
): boolean {
  const wait = spec.health.graceMs + spec.health.unhealthyAfterMs;
  return (
    observed.length === desiredCount(spec) &&
    observed.every((i) => i.config === targetConfig && i.health !== 'unhealthy' && now - i.firstSeen >= wait)
  );
}
