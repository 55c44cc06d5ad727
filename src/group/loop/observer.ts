import type { Logger } from '../../lib/index.js';
import type { InstanceId, TendError } from '../../spi/index.js';

/** One instance plugin call the controller made itself (the shared describer's are not). */
export interface CallReport {
  group: string;
  /** The instance plugin's name in the spec. */
  plugin: string;
  method: 'provision' | 'destroy' | 'describe' | 'label';
  /** The call alone, without waits in the plugin limiter (one report per attempt). */
  ms: number;
  /** Absent when the call succeeded. */
  error?: TendError;
}

/** The tick's look at the group: describe and health checks, done or failed (`instances` absent). */
export interface ObservedReport {
  group: string;
  instances?: number;
  ms: number;
}

/** What the tick's provider calls came to (the events say the same per instance). */
export interface OutcomeReport {
  group: string;
  created: readonly InstanceId[];
  destroyed: readonly InstanceId[];
  failedProvisions: number;
  failedDestroys: number;
}

export interface TickReport {
  group: string;
  /** Provider calls were made. */
  acted: boolean;
  /** The describe or a call failed, or the tick threw. */
  failed: boolean;
  ms: number;
}

/**
 * What a group controller tells whoever watches it (the manager's metrics): reported by the
 * controller as it acts, so nobody has to guess a tick from the calls it makes. Every method is
 * optional and synchronous; one that throws is logged and ignored. Durations are measured with
 * the monotonic `performance.now()`, not the controller's clock: they are reports, never inputs.
 */
export interface ControllerObserver {
  tickStarted?(report: { group: string }): void;
  observed?(report: ObservedReport): void;
  call?(report: CallReport): void;
  outcome?(report: OutcomeReport): void;
  tickEnded?(report: TickReport): void;
}

/** Every method present, each guarded so a failing observer cannot break a tick. */
export function guardObserver(observer: ControllerObserver, logger: Logger): Required<ControllerObserver> {
  const guard =
    <R>(name: keyof ControllerObserver, method: ((report: R) => void) | undefined) =>
    (report: R) => {
      if (method === undefined) return;
      try {
        method.call(observer, report);
      } catch (error) {
        logger.warn('controller observer failed', { method: name, error: String(error) });
      }
    };
  return {
    tickStarted: guard('tickStarted', observer.tickStarted),
    observed: guard('observed', observer.observed),
    call: guard('call', observer.call),
    outcome: guard('outcome', observer.outcome),
    tickEnded: guard('tickEnded', observer.tickEnded),
  };
}
