import type { DestroyAction, ObservedInstance, PlanInput } from './types.js';

/** `destroy-all`: every observed instance goes, at most `max` per tick (the next tick goes on). */
export function destroyEverything(observed: readonly ObservedInstance[], max: number): DestroyAction[] {
  return observed
    .slice(0, max)
    .map((instance) => ({ type: 'destroy', instanceId: instance.id, reason: 'group-destroy' }));
}

/** The operator's victims (destroy-these-instances) this tick still observes. */
export function victimsOf(input: PlanInput): ObservedInstance[] {
  const victims = new Set(input.state.victims ?? []);
  return victims.size === 0 ? [] : input.observed.filter((instance) => victims.has(instance.id));
}

/** The observation without the victims: what the rest of the plan works towards. */
export function withoutVictims(input: PlanInput): PlanInput {
  const victims = new Set(input.state.victims ?? []);
  if (victims.size === 0) return input;
  return { ...input, observed: input.observed.filter((instance) => !victims.has(instance.id)) };
}
