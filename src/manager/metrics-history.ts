import type { CallResult, MetricsHistoryView, MetricsPoint } from '../api/index.js';
import type { GroupSummary } from '../spi/index.js';

export type { CallResult, MetricsHistoryView, MetricsPoint };

export interface MetricsHistoryOptions {
  /** The leader's groups (empty on a standby). */
  groups: () => readonly GroupSummary[];
  now?: () => number;
  intervalMs?: number;
  capacity?: number;
}

/**
 * A bound on one point: a manager with 10,000 groups keeps the first 100 by ID per point, so the
 * hour costs at most capacity × 100 small records (the charts are for a glance, not for audit).
 */
export const MAX_GROUPS_PER_POINT = 100;

/**
 * The last hour of a manager in memory, for the dashboard's charts without an external time-series
 * store: a fixed ring of intervals (default 360 × 10 s), each closing with the groups' counts and
 * the calls and ticks that finished in it. Lost on restart by design; Prometheus scrapes /metrics
 * for anything longer.
 */
export class MetricsHistory {
  readonly intervalMs: number;
  readonly capacity: number;
  private readonly groups: () => readonly GroupSummary[];
  private readonly now: () => number;
  private readonly ring: MetricsPoint[] = [];
  private calls = emptyCalls();
  private ticks = { count: 0, totalMs: 0, maxMs: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(options: MetricsHistoryOptions) {
    this.groups = options.groups;
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? 10_000;
    this.capacity = options.capacity ?? 360;
    if (!Number.isInteger(this.capacity) || this.capacity < 1)
      throw new RangeError(`metrics history capacity: expected a whole number ≥ 1, got ${this.capacity}`);
    if (!(this.intervalMs >= 100))
      throw new RangeError(`metrics history intervalMs: expected ≥ 100, got ${this.intervalMs}`);
  }

  providerCall(result: CallResult): void {
    this.calls[result] += 1;
  }

  reconciled(seconds: number): void {
    const ms = seconds * 1000;
    this.ticks.count += 1;
    this.ticks.totalMs += ms;
    this.ticks.maxMs = Math.max(this.ticks.maxMs, ms);
  }

  /** Closes the open interval into the ring. The timer calls this; tests call it directly. */
  sample(): void {
    this.ring.push(this.point());
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    this.calls = emptyCalls();
    this.ticks = { count: 0, totalMs: 0, maxMs: 0 };
  }

  view(): MetricsHistoryView {
    return {
      intervalMs: this.intervalMs,
      capacity: this.capacity,
      points: [...this.ring, { ...this.point(), partial: true }],
    };
  }

  start(): void {
    this.timer ??= setInterval(() => this.sample(), this.intervalMs);
    // A sampler must never keep a process alive.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private point(): MetricsPoint {
    const groups: MetricsPoint['groups'] = {};
    const sorted = [...this.groups()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const g of sorted.slice(0, MAX_GROUPS_PER_POINT))
      groups[g.id] = { healthy: g.healthy, desired: g.desired, observed: g.observed };
    const { count, totalMs, maxMs } = this.ticks;
    return {
      at: this.now(),
      groups,
      providerCalls: { ...this.calls },
      reconcile: { count, meanMs: count === 0 ? 0 : round(totalMs / count), maxMs: round(maxMs) },
    };
  }
}

function emptyCalls(): Record<CallResult, number> {
  return { ok: 0, throttled: 0, exhausted: 0, error: 0 };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
