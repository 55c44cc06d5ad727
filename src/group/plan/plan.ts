import { gateByBreaker } from '../breaker/gate.js';
import { planLogical } from './logical.js';
import { rolloutTransitions } from './rollout.js';
import { planSize } from './size.js';
import { type Action, defaultPlanLimits, type PlanInput } from './types.js';

/**
 * The planner: a pure function from what is declared and observed to what should happen next.
 * Same input, same output, same idempotency keys — so a lost response is retried with its key.
 * Destroys come before provisions; a provision with `replaces` waits for that destroy.
 */
export function plan(input: PlanInput): Action[] {
  if (input.state.paused) return [];
  const transitions = rolloutTransitions(input);
  // A failed rollout changes the target (rollback) or stops everything (pause): act next tick.
  if (transitions.some((t) => t.type === 'rollout-failed')) return transitions;
  const { allocation } = input.spec;
  const limits = input.limits ?? defaultPlanLimits;
  const max = Math.max(1, limits.maxActionsPerTick);
  // Destroys come first and a provision follows the destroy it replaces, so a cut keeps pairs whole
  // or leaves a member missing, which the next tick refills.
  const steps =
    'size' in allocation
      ? planSize(input, allocation.size, max)
      : planLogical(input, allocation.logicalIds).slice(0, max);
  const gated = gateByBreaker(steps, input.state, input.now, limits);
  return [...transitions, ...gated];
}
