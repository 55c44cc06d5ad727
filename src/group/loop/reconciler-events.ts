import type { Logger } from '../../lib/index.js';
import type { TendErrorKind } from '../../spi/index.js';
import type { BreakerVerdict } from '../breaker/breaker.js';
import type { Action } from '../plan/types.js';
import type { Emit } from './emit.js';
import type { ExecutionOutcome } from './executor.js';
import type { HealthTracker } from './observe.js';

/**
 * Back-pressure, lost leadership and a platform that cannot be reached say nothing about the
 * replacement itself: the loop backs off from those instead (as after a failed describe), so a
 * platform outage does not leave an open breaker to wait out once the platform is back.
 */
const notFailures = new Set<TendErrorKind>([
  'throttled',
  'not_leader',
  'fenced',
  'unavailable',
  'timeout',
  // No free capacity (a pool of hosts all claimed) is a wait for capacity, not a bad replacement.
  'exhausted',
]);

/** Tells listeners about the planner's rollout transitions (the breaker's speak for themselves). */
export function transitionEvents(actions: readonly Action[], emit: Emit): void {
  for (const a of actions) {
    if (a.type === 'rollout-start') {
      emit('rollout-started', `rolling out ${a.toConfig} over ${a.fromConfig}`, {
        data: { fromConfig: a.fromConfig, toConfig: a.toConfig },
      });
    } else if (a.type === 'rollout-done') {
      emit('rollout-done', 'rollout finished');
    } else if (a.type === 'rollout-failed') {
      const type = a.onFailure === 'rollback' ? 'rollout-rollback' : 'rollout-paused';
      emit(type, `rollout failed (${a.reason}); ${a.onFailure === 'rollback' ? 'rolling back' : 'paused'}`);
    }
  }
}

export interface OutcomeInput {
  outcome: ExecutionOutcome;
  now: number;
  emit: Emit;
  tracker: HealthTracker;
  logger: Logger;
  steps: readonly Action[];
  targetConfig: string;
}

/**
 * Turns what happened into events, and into the breaker's verdicts (applied by the caller, in order). A failed replacement is a provision error
 * (throttling aside: that is back-pressure, not failure) or an instance healed away before it was
 * stable — the signature of a replacement loop. (Instances that exit by themselves before they
 * are stable are counted when a describe finds them gone: see breaker/verdicts.ts.)
 */
export function recordOutcome(input: OutcomeInput): BreakerVerdict[] {
  const { outcome, now, emit, tracker } = input;
  const verdicts: BreakerVerdict[] = [];
  const fail = (reason: string) => verdicts.push({ type: 'failed', reason });
  for (const d of outcome.destroyed) {
    emit('destroyed', `destroyed ${d.instanceId} (${d.reason})`, {
      instanceId: d.instanceId,
      data: { reason: d.reason },
    });
    if (d.reason === 'heal' && tracker.unproven(d.instanceId)) {
      fail(
        tracker.everHealthy(d.instanceId)
          ? `instance ${d.instanceId} turned unhealthy before it was stable`
          : `instance ${d.instanceId} never became healthy`,
      );
    }
    tracker.destroyed(d.instanceId);
  }
  for (const f of outcome.failedDestroys) {
    input.logger.warn('destroy failed', {
      instance: f.action.instanceId,
      kind: f.error.kind,
      error: f.error.message,
    });
  }
  for (const { action, id } of outcome.provisioned) {
    tracker.created(id, now);
    emit('created', `created ${id}`, { instanceId: id, data: { key: action.key, config: action.config } });
    if (action.replaces !== undefined && action.reason === 'heal') {
      emit('replaced', `replaced ${action.replaces} with ${id}`, {
        instanceId: id,
        data: { replaced: action.replaces },
      });
    }
  }
  for (const { action, error } of outcome.failedProvisions) {
    emit('provision-failed', `provision ${action.key} failed: ${error.message}`, {
      data: { key: action.key, kind: error.kind },
    });
    if (error.kind === 'invalid_spec')
      verdicts.push({
        type: 'rejected',
        config: action.config,
        reason: `provision failed: ${error.message}`,
      });
    else if (!notFailures.has(error.kind)) fail(`provision failed: ${error.message}`);
  }
  if (input.steps.some((s) => (s.type === 'provision' || s.type === 'destroy') && s.reason === 'rollout')) {
    emit('rollout-step', `rollout step towards ${input.targetConfig}`);
  }
  // The trial awaits its verdict only once it made an instance; a trial that met an outage (or
  // throttling) got none and is tried again, else the breaker would stay half-open for good.
  // (`invalid_spec` means "do not retry": the breaker stops provisioning that config, once.)
  if (outcome.provisioned.length > 0) verdicts.push({ type: 'trial-issued' });
  return verdicts;
}

/** Failed calls make the loop back off; calls cut short by a lost leadership do not. */
export function hasFailures(outcome: ExecutionOutcome, signal: AbortSignal): boolean {
  if (signal.aborted) return false;
  return outcome.failedProvisions.length + outcome.failedDestroys.length > 0;
}
