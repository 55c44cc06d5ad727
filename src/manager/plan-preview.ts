import { defaultPlanLimits, desiredCount, type ObservedInstance, rehearse } from '../group/index.js';
import { type GroupSpec, type GroupStatus, type InstanceStatus, TAG_OP } from '../spi/index.js';
import type { GroupPlanPreview } from './api-types.js';

/** What the manager currently runs for a group, as input to a dry run. */
export interface CurrentGroup {
  config: string;
  desired: number;
  status?: GroupStatus | undefined;
}

/** The controller's clock and its cap on actions per tick, which the rehearsal plans with. */
export interface PreviewOptions {
  now: number;
  maxActionsPerTick?: number;
}

/**
 * What applying `spec` would do to a group, from the leader's current observation: instances to
 * create and destroy, and the rollout's steps. The controller's planner decides one tick at a
 * time; a dry run wants the whole path, so this runs that same planner tick by tick on a
 * simulated copy of the group (`rehearse`), where every call succeeds.
 */
export function previewGroupPlan(
  spec: GroupSpec,
  config: string,
  current: CurrentGroup | undefined,
  options: PreviewOptions,
): GroupPlanPreview {
  const desired = desiredCount(spec);
  const instances = current?.status?.instances ?? [];
  const base = { id: spec.id, config, desired, observed: instances.length };
  if (current === undefined) {
    return { ...base, change: 'create', creates: desired, destroys: 0 };
  }
  const change = current.config === config && current.desired === desired ? 'unchanged' : 'update';
  const limits = {
    ...defaultPlanLimits,
    maxActionsPerTick: options.maxActionsPerTick ?? defaultPlanLimits.maxActionsPerTick,
  };
  const rehearsal = rehearse({
    spec,
    observed: instances.map((instance) => observedOf(instance, options.now)),
    now: options.now,
    limits,
  });
  const { creates, destroys, batches } = rehearsal;
  const stale = instances.filter((instance) => instance.config !== config);
  const replaced = batches.reduce((sum, batch) => sum + batch, 0);
  if (replaced === 0 || desired === 0) return { ...base, change, creates, destroys };
  return {
    ...base,
    change,
    creates,
    destroys,
    rollout: {
      fromConfigs: [...new Set(stale.map((instance) => instance.config))].sort(),
      toConfig: config,
      instances: replaced,
      batches,
    },
  };
}

/** An instance of the status as the planner sees it; its health streak is taken to be as old as it. */
function observedOf(instance: InstanceStatus, now: number): ObservedInstance {
  const firstSeen = instance.createdAt ?? now;
  const observed: ObservedInstance = {
    id: instance.id,
    config: instance.config,
    health: instance.health,
    firstSeen,
  };
  const op = instance.tags[TAG_OP];
  if (op !== undefined) observed.op = op;
  if (instance.logicalId !== undefined) observed.logicalId = instance.logicalId;
  if (instance.health === 'healthy') observed.healthySince = firstSeen;
  if (instance.health === 'unhealthy') observed.unhealthySince = firstSeen;
  return observed;
}
