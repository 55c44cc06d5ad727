import { performance } from 'node:perf_hooks';

/** How busy this process's event loop was lately: 0 (idle) to 1 (never idle). */
export type LoopBusy = () => number;

/** Utilization is measured over windows at least this long (shorter ones are noise). */
const WINDOW_MS = 500;

/**
 * The event loop's utilization over its last finished window of at least 500 ms, shared by
 * every controller of the process (one loop, one measure). It counts the time the loop was not
 * waiting for I/O or timers, so it also rises when the machine's other processes leave this one
 * short of CPU.
 */
export function createLoopBusy(): LoopBusy {
  let mark = performance.eventLoopUtilization();
  let markAt = performance.now();
  let busy = 0;
  return () => {
    const now = performance.now();
    if (now - markAt >= WINDOW_MS) {
      const next = performance.eventLoopUtilization();
      busy = performance.eventLoopUtilization(next, mark).utilization;
      mark = next;
      markAt = now;
    }
    return Math.min(1, Math.max(0, busy));
  };
}

/** The one measure controllers use unless a test gives its own. */
export const processLoopBusy: LoopBusy = createLoopBusy();

/** Below this utilization the loop has room: rounds keep their period, no rest is imposed. */
const ROOM = 0.5;

/**
 * The rest after a tick that took `tickMs`, so that rounds start `intervalMs` apart — but, once
 * the loop is over half busy, never less than a share of the interval that grows to all of it
 * as the loop saturates (0 at utilization 0.5, half at 0.75, whole at 1). On a loop with room the
 * period stays the interval whatever the tick waited for (a fleet-wide describe); on a saturated
 * one each tick is followed by a whole interval of rest, as if the period were tick + interval,
 * so ticks never run back to back and the API keeps its share of the loop. (A plain fixed rate
 * did run them back to back at 1,000 × 100 on a loaded machine: status median 8 s; a floor of
 * interval × utilization held 1,000 × 100 at 0.63 rounds/s with the loop only 56 % busy.)
 */
export function restAfterTick(intervalMs: number, tickMs: number, busy: number): number {
  const untilNextRound = intervalMs - Math.max(0, tickMs);
  const pressure = (Math.min(1, Math.max(0, busy)) - ROOM) / (1 - ROOM);
  return Math.max(untilNextRound, intervalMs * Math.max(0, pressure));
}
