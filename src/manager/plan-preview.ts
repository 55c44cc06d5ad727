import type { Allocation, GroupSpec, GroupStatus } from '../spi/index.js';
import type { GroupPlanPreview } from './api-types.js';

/** What the manager currently runs for a group, as input to a dry run. */
export interface CurrentGroup {
  config: string;
  desired: number;
  status?: GroupStatus | undefined;
}

export function desiredCount(allocation: Allocation): number {
  return 'size' in allocation ? allocation.size : allocation.logicalIds.length;
}

/**
 * What applying `spec` would do to a group, from the leader's current observation: instances to
 * create and destroy, and the rollout's steps. The controller's planner decides one tick at a
 * time; a dry run wants the whole path, so this walks it in batches the update policy allows.
 */
export function previewGroupPlan(spec: GroupSpec, config: string, current?: CurrentGroup): GroupPlanPreview {
  const desired = desiredCount(spec.allocation);
  const instances = current?.status?.instances ?? [];
  const observed = instances.length;
  const base = { id: spec.id, config, desired, observed };
  if (current === undefined) {
    return { ...base, change: 'create', creates: desired, destroys: 0 };
  }
  const stale = instances.filter((instance) => instance.config !== config);
  const fresh = observed - stale.length;
  const creates = Math.max(0, desired - fresh);
  const destroys = stale.length + Math.max(0, fresh - desired);
  const change = current.config === config && current.desired === desired ? 'unchanged' : 'update';
  const replaced = Math.min(stale.length, desired);
  if (replaced === 0) return { ...base, change, creates, destroys };
  const step = 'size' in spec.allocation ? Math.max(1, spec.update.maxSurge + spec.update.maxUnavailable) : 1;
  return {
    ...base,
    change,
    creates,
    destroys,
    rollout: {
      fromConfigs: [...new Set(stale.map((instance) => instance.config))].sort(),
      toConfig: config,
      instances: replaced,
      batches: batchesOf(replaced, step),
    },
  };
}

function batchesOf(total: number, step: number): number[] {
  const batches: number[] = [];
  for (let left = total; left > 0; left -= step) batches.push(Math.min(step, left));
  return batches;
}
