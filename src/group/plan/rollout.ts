import { desiredCount, isReady, isUnhealthyLong } from './helpers.js';
import type { PlanInput, RolloutState, TransitionAction } from './types.js';

export function isRolloutActive(rollout: RolloutState | undefined, targetConfig: string): boolean {
  return (
    rollout !== undefined &&
    rollout.toConfig === targetConfig &&
    (rollout.state === 'running' || rollout.state === 'rolling-back')
  );
}

/**
 * Rollout bookkeeping for one tick: start one when old-config instances show up without a
 * rollout (after a restart, or instances InfraKit made), fail it on timeout or on a new instance
 * turning unhealthy, and finish it once only ready current-config instances remain.
 */
export function rolloutTransitions(input: PlanInput): TransitionAction[] {
  const { spec, targetConfig, observed, now, state } = input;
  const old = observed.filter((i) => i.config !== targetConfig);
  const current = observed.filter((i) => i.config === targetConfig);
  const active = isRolloutActive(state.rollout, targetConfig);

  if (!active) {
    if (old.length === 0) return [];
    return [
      { type: 'rollout-start', fromConfig: dominantConfig(old.map((i) => i.config)), toConfig: targetConfig },
    ];
  }
  const rollout = state.rollout;
  if (rollout === undefined) return [];

  const failure = failureReason(input, rollout);
  if (failure !== undefined) {
    // A rollback is tried once; a failing rollback pauses rather than flip-flopping.
    const canRollBack =
      spec.update.onFailure === 'rollback' &&
      rollout.state === 'running' &&
      rollout.previousSpec !== undefined;
    return [{ type: 'rollout-failed', onFailure: canRollBack ? 'rollback' : 'pause', reason: failure }];
  }

  const size = desiredCount(spec);
  const ready = current.filter((i) => isReady(i, spec, now)).length;
  if (old.length === 0 && current.length === size && ready === size) return [{ type: 'rollout-done' }];
  return [];
}

function failureReason(input: PlanInput, rollout: RolloutState): string | undefined {
  const { spec, targetConfig, observed, now } = input;
  if (now - rollout.startedAt > spec.update.timeoutMs) {
    return `rollout to ${targetConfig} timed out after ${spec.update.timeoutMs} ms`;
  }
  // Only a turn for the worse during this attempt counts: after a resume, instances that were
  // already sick are healed like any other instead of failing the rollout again at once.
  const sick = observed.find(
    (i) =>
      i.config === targetConfig &&
      isUnhealthyLong(i, spec, now) &&
      (i.unhealthySince ?? i.firstSeen) >= rollout.startedAt,
  );
  if (sick !== undefined) {
    return `new instance ${sick.id} turned unhealthy`;
  }
  return undefined;
}

/** The most common config among `configs` (ties: smallest string), for status messages. */
function dominantConfig(configs: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const c of configs) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? '';
}
