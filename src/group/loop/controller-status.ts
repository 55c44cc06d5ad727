import type {
  GroupPhase,
  GroupSpec,
  GroupStatus,
  GroupSummary,
  InstanceDescription,
  InstanceStatus,
  RolloutStatus,
} from '../../spi/index.js';
import { desiredCount, isReady } from '../plan/helpers.js';
import { isRolloutActive } from '../plan/rollout.js';
import type { ObservedInstance, PlannerState } from '../plan/types.js';

export interface StatusInput {
  spec: GroupSpec;
  targetConfig: string;
  observed: readonly ObservedInstance[];
  described: readonly InstanceDescription[];
  state: PlannerState;
  blind: boolean;
  destroying: boolean;
  now: number;
  lastError?: string;
  lastTickAt?: number;
}

/** The group's status with each instance (tags, location): O(instances) in time and bytes. */
export function buildStatus(input: StatusInput): GroupStatus {
  return { ...buildSummary(input), instances: buildInstances(input.observed, input.described) };
}

/** Each observed instance as the API shows it, with its description's tags and location. */
export function buildInstances(
  observed: readonly ObservedInstance[],
  descriptions: readonly InstanceDescription[],
): InstanceStatus[] {
  const described = new Map(descriptions.map((d) => [d.id, d]));
  return observed.map((i) => instanceStatus(i, described.get(i.id)));
}

export function instanceStatus(
  i: ObservedInstance,
  description: InstanceDescription | undefined,
): InstanceStatus {
  const entry: InstanceStatus = {
    id: i.id,
    config: i.config,
    health: i.health,
    createdAt: i.firstSeen,
    tags: description?.tags ?? {},
  };
  if (i.logicalId !== undefined) entry.logicalId = i.logicalId;
  const location = description?.location;
  if (location !== undefined) entry.location = location;
  return entry;
}

const byId = (a: InstanceStatus, b: InstanceStatus) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The group's instances in ID order for the pages, sorted once per look that changed them and
 * only when asked: a tick never sorts, and a reader paging through a group within one round
 * sorts it once, not once per page.
 */
export function createInstanceIndex(
  source: () => {
    observed: readonly ObservedInstance[];
    described: readonly InstanceDescription[];
  },
) {
  let memo: { observed: readonly ObservedInstance[]; sorted: InstanceStatus[] } | undefined;
  return {
    sorted(): readonly InstanceStatus[] {
      const { observed, described } = source();
      if (memo?.observed !== observed)
        memo = { observed, sorted: buildInstances(observed, described).sort(byId) };
      return memo.sorted;
    },
    /** One instance by ID, without building the others. */
    find(id: string): InstanceStatus | undefined {
      const { observed, described } = source();
      const found = observed.find((i) => i.id === id);
      return found === undefined
        ? undefined
        : instanceStatus(
            found,
            described.find((d) => d.id === id),
          );
    },
  };
}

/**
 * The group's status without its instances: counts, phase, rollout, breaker. Still one pass over
 * the instances for the counts, but nothing per instance is kept or serialized.
 */
export function buildSummary(input: StatusInput): GroupSummary {
  const { spec, targetConfig, observed, state, now } = input;
  const byConfig: Record<string, number> = {};
  let healthy = 0;
  for (const i of observed) {
    byConfig[i.config] = (byConfig[i.config] ?? 0) + 1;
    if (i.health === 'healthy') healthy += 1;
  }
  const status: GroupSummary = {
    id: spec.id,
    phase: phaseOf(input),
    desired: desiredCount(spec),
    observed: observed.length,
    healthy,
    config: targetConfig,
    byConfig,
    breaker: {
      open: state.breaker.status !== 'closed',
      consecutiveFailures: state.breaker.consecutiveFailures,
    },
    paused: state.paused,
  };
  if (state.breaker.reason !== undefined && state.breaker.status !== 'closed') {
    status.breaker.reason = state.breaker.reason;
  }
  const { rollout } = state;
  if (rollout !== undefined) {
    status.rollout = {
      fromConfig: rollout.fromConfig,
      toConfig: rollout.toConfig,
      state: rollout.state,
      updated: observed.filter((i) => i.config === rollout.toConfig && isReady(i, spec, now)).length,
      total: desiredCount(spec),
      startedAt: rollout.startedAt,
    };
    if (rollout.reason !== undefined) status.rollout.reason = rollout.reason;
  }
  if (input.lastError !== undefined) status.lastError = input.lastError;
  if (input.lastTickAt !== undefined) status.lastTickAt = input.lastTickAt;
  return status;
}

/** The most instances one rollout (same start, same target) has shown as updated. */
export interface RolloutProgress {
  startedAt: number;
  toConfig: string;
  updated: number;
}

/**
 * Keeps a rollout's progress from going backwards (`4/4` → `3/4` after a heal or a scale): the
 * count shown is the most seen for this rollout, and a finished one shows all. Mutates `rollout`
 * and returns the mark for the next status.
 */
export function holdProgress(
  rollout: RolloutStatus | undefined,
  mark: RolloutProgress | undefined,
): RolloutProgress | undefined {
  if (rollout === undefined) return undefined;
  const same =
    mark !== undefined && mark.startedAt === rollout.startedAt && mark.toConfig === rollout.toConfig;
  if (rollout.state === 'done') rollout.updated = rollout.total;
  else if (same) rollout.updated = Math.min(rollout.total, Math.max(rollout.updated, mark.updated));
  return { startedAt: rollout.startedAt, toConfig: rollout.toConfig, updated: rollout.updated };
}

function phaseOf(input: StatusInput): GroupPhase {
  const { state, observed, spec, targetConfig } = input;
  if (input.destroying) return 'destroying';
  if (state.paused) return 'paused';
  if (state.breaker.status !== 'closed') return 'breaker-open';
  if (input.blind) return 'blind';
  if (isRolloutActive(state.rollout, targetConfig)) return 'rolling';
  const converged =
    observed.length === desiredCount(spec) &&
    observed.every((i) => i.config === targetConfig && i.health !== 'unhealthy');
  return converged ? 'converged' : 'converging';
}
