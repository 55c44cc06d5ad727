import type { GroupSpec } from '../../spi/index.js';
import { configHash } from '../spec/index.js';
import { desiredCount } from './helpers.js';
import { plan } from './plan.js';
import { applyTransitions, initialPlannerState, recordGenerations } from './state.js';
import type { ObservedInstance, PlanLimits, PlannerState } from './types.js';

export interface RehearsalInput {
  spec: GroupSpec;
  /** The group as last observed; an instance reported unhealthy stays so until replaced. */
  observed: readonly ObservedInstance[];
  now: number;
  limits?: PlanLimits;
  /**
   * Instances × ticks to simulate at most (default 2,000,000): a rollout of a huge group one
   * instance at a time would otherwise cost size² steps. Past it the rest is extrapolated.
   */
  budget?: number;
}

export interface Rehearsal {
  /** Instances the ticks would create and destroy in all. */
  creates: number;
  destroys: number;
  /** Old-config instances each tick that destroyed any would take away, in order. */
  batches: number[];
  /** The budget ran out: batches after the simulated ones repeat the last one. */
  extrapolated: boolean;
  /** The rollout would fail (a timeout shorter than its steps need): the plan stops there. */
  failed: boolean;
}

const DEFAULT_BUDGET = 2_000_000;

/**
 * Runs the planner tick by tick on a simulated group in which every call succeeds at once and
 * every new instance is healthy and ready by the next tick (each tick advances `healthyFor`):
 * what the controller would do, batch by batch, when nothing fails. One planner, so a preview
 * (`tend plan`) cannot disagree with what the controller does.
 */
export function rehearse(input: RehearsalInput): Rehearsal {
  const { spec, limits } = input;
  const targetConfig = configHash(spec);
  const stepMs = Math.max(1, spec.update.healthyForMs);
  const budget = input.budget ?? DEFAULT_BUDGET;
  let world = input.observed.map((i) => ({ ...i }));
  let state: PlannerState = initialPlannerState;
  let now = input.now;
  let spent = 0;
  let created = 0;
  const result: Rehearsal = { creates: 0, destroys: 0, batches: [], extrapolated: false, failed: false };
  // Every tick does something until the group converges; the bound only guards against a bug.
  const maxTicks = 10 * (desiredCount(spec) + world.length) + 20;
  for (let tick = 0; tick < maxTicks; tick++) {
    if (spent > budget) return extrapolate(result, world, spec, targetConfig);
    spent += world.length;
    state = recordGenerations(state, spec.id, world);
    const actions = plan({ spec, targetConfig, observed: world, now, state, ...(limits ? { limits } : {}) });
    state = applyTransitions(state, actions, now);
    if (actions.some((a) => a.type === 'rollout-failed')) return { ...result, failed: true };
    if (actions.length === 0) return result;
    const gone = new Set(actions.flatMap((a) => (a.type === 'destroy' ? [a.instanceId] : [])));
    const batch = world.filter((i) => gone.has(i.id) && i.config !== targetConfig).length;
    if (batch > 0) result.batches.push(batch);
    result.destroys += gone.size;
    world = world.filter((i) => !gone.has(i.id));
    for (const a of actions) {
      if (a.type !== 'provision') continue;
      const born: ObservedInstance = {
        id: `rehearsal-${created++}` as ObservedInstance['id'],
        config: a.config,
        op: a.key,
        health: 'healthy',
        firstSeen: now,
        healthySince: now,
      };
      if (a.logicalId !== undefined) born.logicalId = a.logicalId;
      world.push(born);
      result.creates += 1;
    }
    now += stepMs;
    // Instances still booting when the rehearsal began are up by now, as new ones are.
    world = world.map((i) => (i.health === 'unknown' ? { ...i, health: 'healthy', healthySince: now } : i));
  }
  return result;
}

/** The rest of a rollout in batches of the last one; the group ends at its desired count. */
function extrapolate(
  result: Rehearsal,
  world: readonly ObservedInstance[],
  spec: GroupSpec,
  targetConfig: string,
): Rehearsal {
  const old = world.filter((i) => i.config !== targetConfig).length;
  const current = world.length - old;
  const step = Math.max(1, result.batches.at(-1) ?? 1);
  const batches = [...result.batches];
  for (let left = old; left > 0; left -= step) batches.push(Math.min(step, left));
  const desired = desiredCount(spec);
  return {
    creates: result.creates + Math.max(0, desired - current),
    destroys: result.destroys + old + Math.max(0, current - desired),
    batches,
    extrapolated: true,
    failed: false,
  };
}
