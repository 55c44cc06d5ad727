import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { type GroupSummary, TendError } from '../spi/index.js';
import { type CallResult, MetricsHistory } from './metrics-history.js';

/** What the gauges read at scrape time: the leader's live view (empty on a standby). */
export interface MetricsSnapshot {
  leading: boolean;
  epoch: number;
  groups: readonly GroupSummary[];
}

export type { CallResult };

/**
 * The manager's Prometheus metrics, in a registry of its own (two managers in one process, as in
 * tests, must not share the global one). Gauges are computed at scrape time from the snapshot, so
 * a group that is gone disappears from the next scrape instead of keeping its last value.
 */
export class ManagerMetrics {
  readonly registry = new Registry();
  private readonly providerCalls: Counter<'plugin' | 'method' | 'result'>;
  private readonly providerSeconds: Histogram<'plugin' | 'method'>;
  private readonly reconcileSeconds: Histogram<'group'>;
  private readonly events: Counter<'type'>;
  private readonly describeCalls: Counter<'plugin'>;
  private readonly describeRequests: Counter<'plugin'>;
  /** The last hour in memory, for the dashboard's charts (`GET /v1/metrics/history`). */
  readonly history: MetricsHistory;

  constructor(snapshot: () => MetricsSnapshot, options: { now?: () => number } = {}) {
    const registers = [this.registry];
    this.history = new MetricsHistory({ groups: () => snapshot().groups, ...options });
    const perGroup = (name: string, help: string, value: (g: GroupSummary) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['group'],
        registers,
        collect() {
          this.reset();
          for (const group of snapshot().groups) {
            const v = value(group);
            if (v !== undefined) this.set({ group: group.id }, v);
          }
        },
      });
    perGroup('tend_group_desired_instances', 'Instances the spec asks for.', (g) => g.desired);
    perGroup('tend_group_observed_instances', 'Instances the provider reports.', (g) => g.observed);
    perGroup('tend_group_healthy_instances', 'Instances the flavor reports healthy.', (g) => g.healthy);
    perGroup(
      'tend_rollout_updated_instances',
      'Instances already on the new config.',
      (g) => g.rollout?.updated,
    );
    perGroup(
      'tend_rollout_total_instances',
      'Instances the rollout replaces in all.',
      (g) => g.rollout?.total,
    );
    perGroup('tend_rollout_progress_ratio', 'updated / total of the current rollout (1 when done).', (g) =>
      g.rollout === undefined ? undefined : g.rollout.total === 0 ? 1 : g.rollout.updated / g.rollout.total,
    );
    perGroup('tend_circuit_breaker_open', '1 while remediation is stopped by the breaker.', (g) =>
      g.breaker.open ? 1 : 0,
    );
    perGroup('tend_group_damaged', '1 while the stored spec cannot be read (the group is not run).', (g) =>
      g.phase === 'damaged' ? 1 : 0,
    );
    perGroup('tend_group_paused', '1 while the group is paused.', (g) => (g.paused ? 1 : 0));
    new Gauge({
      name: 'tend_leader',
      help: '1 while this manager is the leader.',
      registers,
      collect() {
        this.set(snapshot().leading ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tend_leader_epoch',
      help: 'The epoch this manager leads at (0 on a standby).',
      registers,
      collect() {
        this.set(snapshot().epoch);
      },
    });
    this.providerCalls = new Counter({
      name: 'tend_provider_calls_total',
      help: 'Instance plugin calls by plugin, method and result (ok, throttled, exhausted, error).',
      labelNames: ['plugin', 'method', 'result'],
      registers,
    });
    this.providerSeconds = new Histogram({
      name: 'tend_provider_call_duration_seconds',
      help: 'Instance plugin call latency, including waits in the plugin limiter.',
      labelNames: ['plugin', 'method'],
      buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30],
      registers,
    });
    this.reconcileSeconds = new Histogram({
      name: 'tend_reconcile_duration_seconds',
      help: 'Observe phase of a reconcile tick: describe plus health checks of every instance.',
      labelNames: ['group'],
      buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10],
      registers,
    });
    this.describeCalls = new Counter({
      name: 'tend_plugin_describe_calls_total',
      help: "Describe calls made to an instance plugin for its groups' ticks (one answers many groups).",
      labelNames: ['plugin'],
      registers,
    });
    this.describeRequests = new Counter({
      name: 'tend_plugin_describe_requests_total',
      help: 'Group describes (one per group per tick) answered by those calls.',
      labelNames: ['plugin'],
      registers,
    });
    this.events = new Counter({
      name: 'tend_events_total',
      help: 'Group events recorded, by type.',
      labelNames: ['type'],
      registers,
    });
  }

  providerCall(plugin: string, method: string, result: CallResult, seconds: number): void {
    this.providerCalls.inc({ plugin, method, result });
    this.providerSeconds.observe({ plugin, method }, seconds);
    this.history.providerCall(result);
  }

  describeCall(plugin: string, requests: number): void {
    this.describeCalls.inc({ plugin });
    this.describeRequests.inc({ plugin }, requests);
  }

  reconciled(group: string, seconds: number): void {
    this.reconcileSeconds.observe({ group }, seconds);
    this.history.reconciled(seconds);
  }

  event(type: string): void {
    this.events.inc({ type });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

export function callResult(error: unknown): CallResult {
  if (TendError.is(error, 'throttled')) return 'throttled';
  return TendError.is(error, 'exhausted') ? 'exhausted' : 'error';
}
