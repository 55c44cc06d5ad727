import { gateByBreaker } from '../breaker/gate.js';
import { planLogical } from './logical.js';
import { destroyEverything, victimsOf, withoutVictims } from './modes.js';
import { rolloutTransitions } from './rollout.js';
import { planSize } from './size.js';
import { type Action, type DestroyAction, defaultPlanLimits, type PlanInput } from './types.js';

/**
 * The planner: a pure function from what is declared and observed to what should happen next.
 * Same input, same output, same idempotency keys — so a lost response is retried with its key.
 * Destroys come before provisions; a provision with `replaces` waits for that destroy.
 *
 * Modes: `destroy-all` destroys everything observed; instances the operator named
 * (`state.victims`) are destroyed first in any mode, paused or not, and everything else is
 * planned as if they were gone already.
 */
export function plan(input: PlanInput): Action[] {
  const limits = input.limits ?? defaultPlanLimits;
  const max = Math.max(1, limits.maxActionsPerTick);
  if (input.mode === 'destroy-all') return destroyEverything(input.observed, max);
  if (input.state.paused) return victimsOf(input).slice(0, max).map(terminate);
  const transitions = rolloutTransitions(withoutVictims(input));
  // A failed rollout changes the target (rollback) or stops everything (pause): act next tick.
  if (transitions.some((t) => t.type === 'rollout-failed'))
    return [...transitions, ...victimsOf(input).slice(0, max).map(terminate)];
  const { allocation } = input.spec;
  // Destroys come first and a provision follows the destroy it replaces, so a cut keeps pairs whole
  // or leaves a member missing, which the next tick refills.
  const steps =
    'size' in allocation
      ? planSize(input, allocation.size, max)
      : planLogical(input, allocation.logicalIds).slice(0, max);
  const gated = gateByBreaker(steps, input.state, input.now, limits);
  return [...transitions, ...gated];
}

function terminate(instance: { id: DestroyAction['instanceId'] }): DestroyAction {
  return { type: 'destroy', instanceId: instance.id, reason: 'terminate' };
}
