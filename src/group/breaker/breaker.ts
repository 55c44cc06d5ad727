import type { JsonValue } from '../../spi/index.js';
import type { BreakerState } from '../plan/types.js';

/**
 * What happened that the circuit breaker must hear about. The planner's gate decides `tripped`
 * and `trial`; the loop's outcomes and observations give the rest.
 */
export type BreakerVerdict =
  /** A replacement failed (a provision error, or an instance gone before it was stable). */
  | { type: 'failed'; reason: string; earlyExit?: boolean }
  /** The platform called `config` invalid: stop at once, no trial until the target changes. */
  | { type: 'rejected'; config: string; reason: string }
  /** A replacement proved itself (became stable, or the group settled). */
  | { type: 'proved' }
  /** The planner saw `breakerThreshold` failures in a row. */
  | { type: 'tripped'; reason: string }
  /** The planner let the cool-down end: one trial replacement may go. */
  | { type: 'trial' }
  /** The trial made an instance; wait for its verdict. */
  | { type: 'trial-issued' }
  /** After a failure the next replacement waits until `retryAt` (ms since epoch). */
  | { type: 'paced'; retryAt: number }
  /**
   * The target config is now `targetConfig` (or, absent, the operator resumed): a rejection of
   * another config is lifted. `why` heads the event.
   */
  | { type: 'released'; targetConfig?: string; why: string };

/** What the breaker's transitions tell listeners: data, emitted by the loop. */
export interface BreakerEvent {
  type: 'breaker-open' | 'breaker-closed';
  message: string;
  data?: Record<string, JsonValue>;
}

export interface BreakerStep {
  state: BreakerState;
  events: BreakerEvent[];
}

const CLOSED: BreakerState = { status: 'closed', consecutiveFailures: 0 };

/**
 * The circuit breaker's whole state machine (pure): closed → open after the planner trips it,
 * open → half-open for one trial after the cool-down, half-open → closed on proof or back to
 * open on failure. Every `breaker-open` and `breaker-closed` event is made here, nowhere else.
 */
export function reduceBreaker(state: BreakerState, verdict: BreakerVerdict, now: number): BreakerStep {
  const same = { state, events: [] };
  switch (verdict.type) {
    case 'failed': {
      const counted: BreakerState = {
        ...state,
        consecutiveFailures: state.consecutiveFailures + 1,
        lastFailure: verdict.reason,
      };
      if (verdict.earlyExit === true) counted.earlyExits = (state.earlyExits ?? 0) + 1;
      if (state.status !== 'half-open') return { state: counted, events: [] };
      return open(counted, verdict.reason, now, `trial replacement failed: ${verdict.reason}`);
    }
    case 'rejected': {
      if (state.rejectedConfig === verdict.config) return same;
      const counted = {
        ...state,
        consecutiveFailures: state.consecutiveFailures + 1,
        lastFailure: verdict.reason,
      };
      const reason = `${verdict.reason} (not retried: fix the spec)`;
      const step = open(counted, reason, now, `remediation stopped: ${reason}`, { config: verdict.config });
      return { ...step, state: { ...step.state, rejectedConfig: verdict.config } };
    }
    case 'proved':
      if (state.status === 'open' || (state.status === 'closed' && state.consecutiveFailures === 0))
        return same;
      return {
        state: CLOSED,
        events:
          state.status === 'half-open'
            ? [{ type: 'breaker-closed', message: 'a replacement proved healthy; remediation resumes' }]
            : [],
      };
    case 'tripped':
      if (state.status === 'open') return same;
      return open(state, verdict.reason, now, `remediation stopped: ${verdict.reason}`);
    case 'trial':
      return { state: { ...state, status: 'half-open', probeIssued: false }, events: [] };
    case 'trial-issued':
      return state.status === 'half-open' ? { state: { ...state, probeIssued: true }, events: [] } : same;
    case 'paced':
      // Only a closed breaker paces: an open one waits anyway.
      return state.status === 'closed' ? { state: { ...state, retryAt: verdict.retryAt }, events: [] } : same;
    case 'released': {
      const rejected = state.rejectedConfig;
      if (rejected === undefined || rejected === verdict.targetConfig) return same;
      return {
        state: CLOSED,
        events: [{ type: 'breaker-closed', message: `${verdict.why}; provisioning resumes` }],
      };
    }
  }
}

/** Applies verdicts in order, collecting their events. */
export function reduceBreakerAll(
  state: BreakerState,
  verdicts: readonly BreakerVerdict[],
  now: number,
): BreakerStep {
  const events: BreakerEvent[] = [];
  let next = state;
  for (const verdict of verdicts) {
    const step = reduceBreaker(next, verdict, now);
    next = step.state;
    events.push(...step.events);
  }
  return { state: next, events };
}

/** The one place the breaker opens, and so the one place `breaker-open` is said. */
function open(
  state: BreakerState,
  reason: string,
  now: number,
  message: string,
  data: Record<string, JsonValue> = {},
): BreakerStep {
  const opened: BreakerState = {
    status: 'open',
    consecutiveFailures: state.consecutiveFailures,
    openedAt: now,
    reason,
  };
  if (state.lastFailure !== undefined) opened.lastFailure = state.lastFailure;
  return { state: opened, events: [{ type: 'breaker-open', message, data: { reason, ...data } }] };
}
