import type { GroupSpec, ScaleInOrder } from '../../spi/index.js';
import type { ObservedInstance, PlannerState } from './types.js';

/** `group:config:slot:generation`; the slot is a number (size groups) or a logical ID. */
export function opKey(group: string, config: string, slot: string | number, generation: number): string {
  return `${group}:${config}:${slot}:${generation}`;
}

/** Reads slot and generation back from a key this group made; undefined for foreign keys. */
export function parseOpKey(
  group: string,
  config: string,
  key: string | undefined,
): { slot: string; generation: number } | undefined {
  const prefix = `${group}:${config}:`;
  if (key === undefined || !key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const cut = rest.lastIndexOf(':');
  if (cut <= 0) return undefined;
  const generation = Number(rest.slice(cut + 1));
  if (!Number.isSafeInteger(generation) || generation < 0) return undefined;
  return { slot: rest.slice(0, cut), generation };
}

/**
 * Gives the generation a new instance in a slot gets: above every one seen, stored or observed.
 * Built once per plan, so filling many slots stays linear in the number of instances.
 */
export function generationIndex(
  group: string,
  state: PlannerState,
  observed: readonly ObservedInstance[],
): (slot: string) => number {
  const highest = new Map<string, number>();
  for (const instance of observed) {
    const parsed = parseOpKey(group, instance.config, instance.op);
    if (parsed !== undefined && parsed.generation > (highest.get(parsed.slot) ?? -1)) {
      highest.set(parsed.slot, parsed.generation);
    }
  }
  return (slot) => Math.max(state.generations[slot] ?? -1, highest.get(slot) ?? -1) + 1;
}

/** Past grace and unhealthy for at least `unhealthyAfter`: to be replaced. `unknown` never is. */
export function isUnhealthyLong(instance: ObservedInstance, spec: GroupSpec, now: number): boolean {
  if (instance.health !== 'unhealthy') return false;
  if (now - instance.firstSeen < spec.health.graceMs) return false;
  const since = instance.unhealthySince ?? instance.firstSeen;
  return now - since >= spec.health.unhealthyAfterMs;
}

/** Healthy for `healthyFor`: a new instance counts towards the rollout from here on. */
export function isReady(instance: ObservedInstance, spec: GroupSpec, now: number): boolean {
  if (instance.health !== 'healthy') return false;
  return now - (instance.healthySince ?? instance.firstSeen) >= spec.update.healthyForMs;
}

/** Not yet healthy but still within grace: a replacement still in flight. */
export function isBooting(instance: ObservedInstance, spec: GroupSpec, now: number): boolean {
  return instance.health !== 'healthy' && now - instance.firstSeen < spec.health.graceMs;
}

const healthRank = { unhealthy: 0, unknown: 1, healthy: 2 } as const;

/** Instances in the order they should leave on a scale-in. */
export function scaleInOrder(
  instances: readonly ObservedInstance[],
  order: ScaleInOrder,
): ObservedInstance[] {
  const byAge = (a: ObservedInstance, b: ObservedInstance) =>
    a.firstSeen - b.firstSeen || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const sorted = [...instances];
  if (order === 'oldest') sorted.sort(byAge);
  else if (order === 'newest') sorted.sort((a, b) => byAge(b, a));
  else sorted.sort((a, b) => healthRank[a.health] - healthRank[b.health] || byAge(a, b));
  return sorted;
}

/** Old-config instances in the order a rollout removes them: not-healthy first, then by scale-in order. */
export function rolloutOrder(
  instances: readonly ObservedInstance[],
  order: ScaleInOrder,
): ObservedInstance[] {
  const ordered = scaleInOrder(instances, order);
  return [...ordered.filter((i) => i.health !== 'healthy'), ...ordered.filter((i) => i.health === 'healthy')];
}

/**
 * Surge used by a rollout. Both zero cannot make progress; like Kubernetes' validation we treat
 * that as a surge of one rather than stall until the timeout.
 */
export function effectiveSurge(spec: GroupSpec): number {
  return spec.update.maxSurge === 0 && spec.update.maxUnavailable === 0 ? 1 : spec.update.maxSurge;
}

/** Heal replacements that may start now: `maxInFlight` less the replacements still booting. */
export function healBudget(current: readonly ObservedInstance[], spec: GroupSpec, now: number): number {
  const booting = current.filter((i) => isBooting(i, spec, now)).length;
  return Math.max(0, spec.health.maxInFlight - booting);
}

export function desiredCount(spec: GroupSpec): number {
  return 'size' in spec.allocation ? spec.allocation.size : spec.allocation.logicalIds.length;
}
