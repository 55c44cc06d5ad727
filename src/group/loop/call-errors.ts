import type { TendError } from '../../spi/index.js';
import type { CallSite, ExecutionOutcome } from './executor.js';

/** Call kinds whose failures status reports; a success of a kind clears that kind's failure. */
export type CallKind = 'describe' | 'provision' | 'destroy';

/**
 * The last failed provider call of each kind, for `status.lastError`. A failure stays until a
 * call of its kind succeeds — not until any describe works, which would hide why provisions fail
 * behind the next healthy tick.
 */
export interface CallErrorLog {
  failed(kind: CallKind, site: CallSite, error: TendError): void;
  succeeded(kind: CallKind): void;
  /** Takes in what one plan's execution did. */
  record(outcome: ExecutionOutcome): void;
  /** The most recent failure not yet cleared, as `plugin operation failed: message`. */
  latest(): string | undefined;
}

export function createCallErrorLog(): CallErrorLog {
  // Map order is insertion order: re-inserting on each failure keeps the newest last.
  const failures = new Map<CallKind, string>();
  const log: CallErrorLog = {
    failed(kind, site, error) {
      // The controller stopping is not a provider failure.
      if (error.kind === 'not_leader') return;
      failures.delete(kind);
      failures.set(kind, `${site.plugin} ${site.operation} failed: ${error.message}`);
    },
    succeeded(kind) {
      failures.delete(kind);
    },
    record(outcome) {
      if (outcome.provisioned.length > 0) log.succeeded('provision');
      if (outcome.destroyed.length > 0) log.succeeded('destroy');
      for (const f of outcome.failedProvisions) log.failed('provision', f.site, f.error);
      for (const f of outcome.failedDestroys) log.failed('destroy', f.site, f.error);
    },
    latest: () => [...failures.values()].at(-1),
  };
  return log;
}
