import type { GroupSpec, InstanceId } from '../../spi/index.js';
import {
  effectiveSurge,
  generationIndex,
  healBudget,
  isReady,
  isUnhealthyLong,
  opKey,
  parseOpKey,
  rolloutOrder,
  scaleInOrder,
} from './helpers.js';
import { victimsOf } from './modes.js';
import type { DestroyAction, ObservedInstance, PlanInput, ProvisionAction } from './types.js';

/**
 * Plans a size ("cattle") group: heal, roll old configs out, scale in, fill missing slots.
 * Capacity rule: live ≤ size + surge, and during a rollout
 * ready-new + healthy-old ≥ size − maxUnavailable (the Kubernetes Deployment arithmetic).
 */
export function planSize(
  input: PlanInput,
  size: number,
  maxActions = Number.POSITIVE_INFINITY,
): Array<ProvisionAction | DestroyAction> {
  const { spec, targetConfig, observed, now } = input;
  const destroys: DestroyAction[] = [];
  const gone = new Set<InstanceId>();
  const destroy = (instance: ObservedInstance, reason: DestroyAction['reason']) => {
    destroys.push({ type: 'destroy', instanceId: instance.id, reason });
    gone.add(instance.id);
  };
  // The operator's victims go first; the rest is planned as if they were gone (their room is
  // still taken until their destroy succeeds: see provisionsFor).
  for (const victim of victimsOf(input)) destroy(victim, 'terminate');
  const current = observed.filter((i) => i.config === targetConfig && !gone.has(i.id));
  const old = observed.filter((i) => i.config !== targetConfig && !gone.has(i.id));

  // Heal: unhealthy past grace and `unhealthyAfter`, old config first, at most maxInFlight at once.
  const sick = [...old, ...current].filter((i) => isUnhealthyLong(i, spec, now));
  for (const instance of sick.slice(0, healBudget(current, spec, now))) destroy(instance, 'heal');

  if (old.length > 0) removeOld(input, size, old, current, gone, destroy);

  // Scale-in of current-config instances beyond size.
  const currentLeft = current.filter((i) => !gone.has(i.id));
  const extra = currentLeft.length - size;
  if (extra > 0) {
    for (const instance of scaleInOrder(currentLeft, spec.scaleIn.order).slice(0, extra)) {
      destroy(instance, 'scale-in');
    }
  }

  // Bounded before any slot is built: a size of millions must cost what one tick may do, not more.
  const kept = destroys.slice(0, maxActions);
  const provisions = provisionsFor(input, size, gone, kept, maxActions - kept.length);
  return [...kept, ...provisions];
}

function removeOld(
  input: PlanInput,
  size: number,
  old: readonly ObservedInstance[],
  current: readonly ObservedInstance[],
  gone: ReadonlySet<InstanceId>,
  destroy: (instance: ObservedInstance, reason: 'rollout') => void,
): void {
  const { spec, now } = input;
  const live = input.observed.filter((i) => !gone.has(i.id));
  const currentLeft = current.filter((i) => !gone.has(i.id));
  const readyNew = currentLeft.filter((i) => isReady(i, spec, now)).length;
  const notReadyNew = currentLeft.length - readyNew;
  const minAvailable = Math.max(0, size - spec.update.maxUnavailable);
  let available = readyNew + old.filter((i) => !gone.has(i.id) && i.health === 'healthy').length;
  // Kubernetes' maxScaledDown: never remove more than the surplus over minAvailable, and count
  // new instances that are not ready yet as missing.
  let budget = live.length - minAvailable - notReadyNew;
  for (const instance of rolloutOrder(
    old.filter((i) => !gone.has(i.id)),
    spec.scaleIn.order,
  )) {
    if (budget <= 0) break;
    if (instance.health === 'healthy') {
      if (available - 1 < minAvailable) break;
      available -= 1;
    }
    destroy(instance, 'rollout');
    budget -= 1;
  }
}

function provisionsFor(
  input: PlanInput,
  size: number,
  gone: ReadonlySet<InstanceId>,
  destroys: readonly DestroyAction[],
  maxProvisions: number,
): ProvisionAction[] {
  const { spec, targetConfig, observed } = input;
  const live = observed.filter((i) => !gone.has(i.id));
  const currentLeft = live.filter((i) => i.config === targetConfig);
  // Surge applies while any old-config instance was seen this tick, even if all of them go now
  // (the operator's victims aside: they are not part of a rollout).
  const victims = new Set(input.state.victims ?? []);
  const rolling = observed.some((i) => i.config !== targetConfig && !victims.has(i.id));
  const cap = size + (rolling ? effectiveSurge(spec) : 0);
  const count = Math.min(size - currentLeft.length, cap - live.length, maxProvisions);
  if (count <= 0) return [];
  // Room that exists before any destroy of this tick; the rest waits for a destroy to succeed.
  const room = Math.max(0, cap - observed.length);
  const slots = freeSlots(spec, targetConfig, currentLeft, count);
  const nextGeneration = generationIndex(spec.id, input.state, observed);
  return slots.map((slot, index) => {
    const reason = rolling ? 'rollout' : index < room ? 'missing' : 'heal';
    const key = opKey(spec.id, targetConfig, slot, nextGeneration(String(slot)));
    const action: ProvisionAction = { type: 'provision', key, config: targetConfig, slot, reason };
    const replaced = index >= room ? destroys[index - room] : undefined;
    if (replaced !== undefined) action.replaces = replaced.instanceId;
    return action;
  });
}

/** The lowest slot numbers no current-config instance holds. */
function freeSlots(
  spec: GroupSpec,
  config: string,
  currentLeft: readonly ObservedInstance[],
  count: number,
): number[] {
  const taken = new Set<number>();
  for (const instance of currentLeft) {
    const parsed = parseOpKey(spec.id, config, instance.op);
    const slot = parsed === undefined ? Number.NaN : Number(parsed.slot);
    if (Number.isSafeInteger(slot)) taken.add(slot);
  }
  const slots: number[] = [];
  for (let slot = 0; slots.length < count; slot++) if (!taken.has(slot)) slots.push(slot);
  return slots;
}
