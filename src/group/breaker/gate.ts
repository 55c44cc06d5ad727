import type {
  Action,
  BreakerState,
  DestroyAction,
  PlanLimits,
  PlannerState,
  ProvisionAction,
} from '../plan/types.js';

type Step = ProvisionAction | DestroyAction;

/** Scale-in and duplicate removal follow the user's word; the breaker only stops remediation. */
const isRemediation = (step: Step) =>
  step.type === 'provision' || step.reason === 'heal' || step.reason === 'rollout';

/**
 * The per-group circuit breaker: after `breakerThreshold` failed replacements in a row, stop
 * remediating; after the cool-down let exactly one replacement through (half-open). Its verdict,
 * recorded by the controller, closes or re-opens the breaker.
 */
export function gateByBreaker(
  steps: readonly Step[],
  state: PlannerState,
  now: number,
  limits: PlanLimits,
): Action[] {
  const { breaker } = state;
  if (breaker.status === 'closed') {
    if (breaker.consecutiveFailures < limits.breakerThreshold) {
      // Paced: after a failed replacement the next waits out its backoff, even when a watch
      // event (often the failed instance's own exit) woke the loop early.
      const waiting = breaker.retryAt !== undefined && now < breaker.retryAt;
      return waiting ? steps.filter((s) => !isRemediation(s)) : [...steps];
    }
    const count = failureCount(breaker);
    const reason = breaker.lastFailure === undefined ? count : `${count}; last: ${breaker.lastFailure}`;
    return [{ type: 'breaker-open', reason }, ...steps.filter((s) => !isRemediation(s))];
  }
  const passive = steps.filter((s) => !isRemediation(s));
  if (breaker.status === 'open') {
    // A spec the platform called invalid gets no trial: only a new spec or a resume lifts it.
    if (breaker.rejectedConfig !== undefined) return passive;
    if (now - (breaker.openedAt ?? now) < limits.breakerCoolDownMs) return passive;
    return [{ type: 'breaker-half-open' }, ...passive, ...probe(steps)];
  }
  return breaker.probeIssued === true ? passive : [...passive, ...probe(steps)];
}

/** The head of the breaker's reason: a crash loop says so, rather than "replacements failed". */
function failureCount(breaker: BreakerState): string {
  const n = breaker.consecutiveFailures;
  const early = breaker.earlyExits ?? 0;
  if (early > 0 && early === n) return `instances keep exiting soon after creation: ${n} in a row`;
  const count = `${n} replacements failed in a row`;
  return early > 0 ? `${count} (${early} exited soon after creation)` : count;
}

/** One trial replacement: the first provision, with the destroy that makes its room. */
function probe(steps: readonly Step[]): Step[] {
  const first = steps.find((s): s is ProvisionAction => s.type === 'provision');
  if (first === undefined) return [];
  const room = steps.find((s) => s.type === 'destroy' && s.instanceId === first.replaces);
  return room === undefined ? [first] : [room, first];
}
