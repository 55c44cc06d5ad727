import { backoffDelay, type Logger, type Random } from '../../lib/index.js';
import type { GroupSpec } from '../../spi/index.js';
import type { EarlyExit } from '../loop/observe.js';
import type { Emit } from '../loop/reconciler.js';
import { desiredCount } from '../plan/helpers.js';
import { recordFailure, recordSuccess, scheduleRetry } from '../plan/state.js';
import type { BreakerState, ObservedInstance, PlannerState } from '../plan/types.js';

/**
 * Pacing of replacements after failures: the n-th failure in a row holds the next replacement
 * back for a full-jitter draw below min(cap, base·2^(n-1)). The breaker stops the loop after
 * `threshold` failures; this keeps the attempts before that (and any high threshold) from running
 * at the speed of the platform's events. The cap matches the loop's own backoff cap.
 */
export const REPLACEMENT_BACKOFF = { baseMs: 1_000, capMs: 30_000 } as const;

/** Counts instances that exited by themselves before they were stable as failed replacements. */
export function countEarlyExits(
  state: PlannerState,
  exits: readonly EarlyExit[],
  now: number,
  emit: Emit,
  logger: Logger,
): PlannerState {
  let breaker = state.breaker;
  for (const exit of exits) {
    const reason = `instance ${exit.id} was gone ${exit.ageMs} ms after creation`;
    logger.warn('instance exited before it was stable', {
      instance: exit.id,
      ageMs: exit.ageMs,
      seen: exit.seen,
    });
    const wasHalfOpen = breaker.status === 'half-open';
    breaker = recordFailure(breaker, reason, now, true);
    if (wasHalfOpen) emit('breaker-open', `trial replacement failed: ${reason}`, { data: { reason } });
  }
  return breaker === state.breaker ? state : { ...state, breaker };
}

/** After new failures, the next replacement waits out a backoff (see REPLACEMENT_BACKOFF). */
export function paceReplacements(
  before: BreakerState,
  state: PlannerState,
  now: number,
  random: Random,
): PlannerState {
  const failures = state.breaker.consecutiveFailures;
  if (failures <= before.consecutiveFailures || state.breaker.status !== 'closed') return state;
  const delay = backoffDelay(failures - 1, { ...REPLACEMENT_BACKOFF, random });
  return { ...state, breaker: scheduleRetry(state.breaker, now, delay) };
}

/**
 * A replacement proved itself (an instance became stable, or the group settled): forget the
 * failures; a half-open breaker closes. An open one waits for its trial.
 */
export function closeOnProof(state: PlannerState, emit: Emit): PlannerState {
  const before = state.breaker;
  if (before.status === 'open' || (before.status === 'closed' && before.consecutiveFailures === 0))
    return state;
  if (before.status === 'half-open')
    emit('breaker-closed', 'a replacement proved healthy; remediation resumes');
  return { ...state, breaker: recordSuccess(before) };
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
