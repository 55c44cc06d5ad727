import type { InstanceId, LogicalId } from '../../spi/index.js';
import { effectiveSurge, generationIndex, healBudget, isReady, isUnhealthyLong, opKey } from './helpers.js';
import { victimsOf, withoutVictims } from './modes.js';
import type { DestroyAction, ObservedInstance, PlanInput, ProvisionAction } from './types.js';

type Step = ProvisionAction | DestroyAction;

interface Member {
  id: LogicalId;
  current?: ObservedInstance;
  old?: ObservedInstance | undefined;
}

const rank = { healthy: 0, unknown: 1, unhealthy: 2 } as const;
const best = (a: ObservedInstance, b: ObservedInstance) =>
  rank[a.health] - rank[b.health] || a.firstSeen - b.firstSeen || (a.id < b.id ? -1 : 1);

/**
 * Plans a logical-ID ("pet") group: exactly one instance per ID, a replacement keeps its ID, and
 * a rollout changes one member at a time so a quorum never loses two members to Tend at once.
 */
export function planLogical(input: PlanInput, ids: readonly LogicalId[]): Step[] {
  const { spec, targetConfig, now } = input;
  const steps: Step[] = [];
  const destroy = (instance: ObservedInstance, reason: DestroyAction['reason']) =>
    steps.push({ type: 'destroy', instanceId: instance.id, reason });
  const nextGeneration = generationIndex(spec.id, input.state, input.observed);
  const provision = (id: LogicalId, reason: ProvisionAction['reason'], replaces?: InstanceId) => {
    const generation = nextGeneration(id);
    const action: ProvisionAction = {
      type: 'provision',
      key: opKey(spec.id, targetConfig, id, generation),
      config: targetConfig,
      logicalId: id,
      reason,
    };
    if (replaces !== undefined) action.replaces = replaces;
    steps.push(action);
  };

  // The operator's victims go first; a member left without an instance by that comes back once
  // its victim's destroy succeeded (a pet's address or volume is free only then).
  const victims = new Map<LogicalId | undefined, InstanceId>();
  for (const victim of victimsOf(input)) {
    destroy(victim, 'terminate');
    victims.set(victim.logicalId, victim.id);
  }
  const members = groupMembers(withoutVictims(input), ids, destroy);

  // Missing members come back at once: nothing is taken down to do it.
  for (const member of members) {
    if (member.current === undefined && member.old === undefined)
      provision(member.id, 'missing', victims.get(member.id));
  }

  // A finished surge step: the new member is ready (or its old twin is down anyway), so the twin leaves.
  for (const member of members) {
    const { current, old } = member;
    if (current === undefined || old === undefined) continue;
    if (isReady(current, spec, now) || isUnhealthyLong(old, spec, now)) {
      destroy(old, 'rollout');
      member.old = undefined;
    }
  }

  // Heal: a member unhealthy past its grace is replaced in place (an old-config one by the
  // target config), within maxInFlight. It is down already, so no healthy member is touched.
  const currents = members.flatMap((m) => (m.current === undefined ? [] : [m.current]));
  let budget = healBudget(currents, spec, now);
  for (const member of members) {
    const sick = member.current ?? member.old;
    if (budget <= 0 || sick === undefined || !isUnhealthyLong(sick, spec, now)) continue;
    destroy(sick, 'heal');
    provision(member.id, 'heal', sick.id);
    budget -= 1;
  }

  rolloutStep(input, members, steps, destroy, provision);
  return steps;
}

/** Sorts instances into members; extras (duplicates, unknown or missing IDs) are destroyed. */
function groupMembers(
  input: PlanInput,
  ids: readonly LogicalId[],
  destroy: (instance: ObservedInstance, reason: 'duplicate') => void,
): Member[] {
  const members = new Map<LogicalId, Member>(ids.map((id) => [id, { id }]));
  const byId = new Map<LogicalId, { current: ObservedInstance[]; old: ObservedInstance[] }>();
  for (const instance of input.observed) {
    const member = instance.logicalId === undefined ? undefined : members.get(instance.logicalId);
    if (member === undefined || instance.logicalId === undefined) {
      destroy(instance, 'duplicate');
      continue;
    }
    const bucket = byId.get(instance.logicalId) ?? { current: [], old: [] };
    (instance.config === input.targetConfig ? bucket.current : bucket.old).push(instance);
    byId.set(instance.logicalId, bucket);
  }
  for (const [id, bucket] of byId) {
    const member = members.get(id);
    if (member === undefined) continue;
    const [current, ...extraCurrent] = bucket.current.sort(best);
    const [old, ...extraOld] = bucket.old.sort(best);
    for (const extra of [...extraCurrent, ...extraOld]) destroy(extra, 'duplicate');
    if (current !== undefined) member.current = current;
    if (old !== undefined) member.old = old;
  }
  return [...members.values()];
}

/** Starts changing the next old-config member, but only when no member is in transition. */
function rolloutStep(
  input: PlanInput,
  members: readonly Member[],
  steps: readonly Step[],
  destroy: (instance: ObservedInstance, reason: 'rollout') => void,
  provision: (id: LogicalId, reason: 'rollout', replaces?: InstanceId) => void,
): void {
  const { spec, now } = input;
  if (steps.some((s) => s.type === 'provision' || s.reason !== 'duplicate')) return;
  const busy = members.some(
    (m) =>
      (m.current !== undefined && !isReady(m.current, spec, now)) ||
      (m.current !== undefined && m.old !== undefined),
  );
  if (busy) return;
  // Members that are already down go first: changing them costs no availability.
  const candidates = members.filter((m) => m.old !== undefined && m.current === undefined);
  const next = candidates.find((m) => m.old?.health !== 'healthy') ?? candidates[0];
  if (next?.old === undefined) return;
  const live = members.filter((m) => m.current !== undefined || m.old !== undefined).length;
  if (live + 1 <= members.length + effectiveSurge(spec)) {
    provision(next.id, 'rollout');
    return;
  }
  // No surge: take the member down first, and only while every other member is healthy.
  const othersHealthy = members.every((m) => m === next || (m.current ?? m.old)?.health === 'healthy');
  if (!othersHealthy) return;
  destroy(next.old, 'rollout');
  provision(next.id, 'rollout', next.old.id);
}
