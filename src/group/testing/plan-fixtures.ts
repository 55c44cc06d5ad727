// Builders for planner tests (here and in the manager's): a resolved spec and observed instances.
import type { GroupSpec, Health, InstanceId, LogicalId } from '../../spi/index.js';
import { groupId, instanceId, logicalId } from '../../spi/index.js';
import { opKey } from '../plan/helpers.js';
import { initialPlannerState } from '../plan/state.js';
import type { ObservedInstance, PlanInput, PlannerState } from '../plan/types.js';

export interface SpecOverrides {
  id?: string;
  size?: number;
  logicalIds?: readonly string[];
  health?: Partial<GroupSpec['health']>;
  update?: Partial<GroupSpec['update']>;
  scaleIn?: GroupSpec['scaleIn'];
  image?: string;
}

export function testSpec(overrides: SpecOverrides = {}): GroupSpec {
  return {
    id: groupId(overrides.id ?? 'g'),
    allocation:
      overrides.logicalIds === undefined
        ? { size: overrides.size ?? 3 }
        : { logicalIds: overrides.logicalIds.map(logicalId) },
    instance: { plugin: 'simulator', properties: { image: overrides.image ?? 'app:1' } },
    flavor: { plugin: 'vanilla' },
    health: { graceMs: 10_000, unhealthyAfterMs: 5_000, maxInFlight: 1, ...overrides.health },
    update: {
      maxSurge: 1,
      maxUnavailable: 0,
      healthyForMs: 2_000,
      timeoutMs: 600_000,
      onFailure: 'pause',
      ...overrides.update,
    },
    scaleIn: overrides.scaleIn ?? { order: 'oldest' },
  };
}

export interface InstanceOverrides {
  config?: string;
  slot?: number | string;
  generation?: number;
  logicalId?: string;
  health?: Health;
  firstSeen?: number;
  unhealthySince?: number;
  healthySince?: number;
  group?: string;
}

/** An instance Tend created; healthy since creation unless told otherwise. */
export function inst(id: string, o: InstanceOverrides = {}): ObservedInstance {
  const config = o.config ?? 'new';
  const health = o.health ?? 'healthy';
  const firstSeen = o.firstSeen ?? 0;
  const instance: ObservedInstance = { id: instanceId(id), config, health, firstSeen };
  const slot = o.slot ?? o.logicalId;
  if (slot !== undefined) instance.op = opKey(o.group ?? 'g', config, slot, o.generation ?? 0);
  if (o.logicalId !== undefined) instance.logicalId = logicalId(o.logicalId) as LogicalId;
  if (health === 'unhealthy') instance.unhealthySince = o.unhealthySince ?? firstSeen;
  if (health === 'healthy') instance.healthySince = o.healthySince ?? firstSeen;
  return instance;
}

export function input(
  spec: GroupSpec,
  observed: readonly ObservedInstance[],
  now: number,
  state: Partial<PlannerState> = {},
): PlanInput {
  return { spec, targetConfig: 'new', observed, now, state: { ...initialPlannerState, ...state } };
}

export const ids = (...values: string[]): InstanceId[] => values.map(instanceId);
