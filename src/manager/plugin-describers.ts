import {
  ALIGNED_GATHER_MS,
  createDescribeCoalescer,
  type DescribeCoalescer,
  type DescribeCoalescerStats,
  type PluginLimiter,
} from '../group/index.js';
import type { Clock } from '../lib/index.js';
import type { InstancePlugin } from '../spi/index.js';
import { instrumentInstancePlugin } from './instrumented-plugins.js';
import type { ManagerMetrics } from './metrics.js';

export interface PluginDescribersOptions {
  limiterFor: (plugin: string) => PluginLimiter;
  clock: Clock;
  metrics: ManagerMetrics;
  /** Least time between two describe calls to one plugin (see `createDescribeCoalescer`). */
  windowMs: number;
  /**
   * Whether the plugin's groups tick in step (`alignTicks`, a cloud kind): then at most one call
   * per tick interval, gathering the groups whose timers fire a few milliseconds apart.
   */
  alignedFor: (plugin: string) => boolean;
  tickIntervalMs: number;
}

/**
 * One describe coalescer per instance plugin, shared by all its groups and kept across leader
 * terms like the limiters: observation then costs per plugin, not per group (#17, #13 item 6).
 */
export class PluginDescribers {
  private readonly options: PluginDescribersOptions;
  private readonly byName = new Map<string, { plugin: InstancePlugin; coalescer: DescribeCoalescer }>();

  constructor(options: PluginDescribersOptions) {
    this.options = options;
  }

  /** The coalescer of `name`; a new one if the resolver handed out a new plugin object. */
  for(name: string, plugin: InstancePlugin): DescribeCoalescer {
    const existing = this.byName.get(name);
    if (existing !== undefined && existing.plugin === plugin) return existing.coalescer;
    const { metrics, clock, windowMs } = this.options;
    // Counted like every other provider call (tend_provider_calls_total{method="describe"}), as
    // the plugin sees it: one per merged call.
    const counted = instrumentInstancePlugin(plugin, { metrics, plugin: name });
    const coalescer = createDescribeCoalescer({
      plugin: counted,
      limiter: this.options.limiterFor(name),
      clock,
      ...(this.options.alignedFor(name)
        ? { windowMs: this.options.tickIntervalMs, gatherMs: ALIGNED_GATHER_MS }
        : { windowMs }),
      onCall: (requests) => metrics.describeCall(name, requests),
    });
    this.byName.set(name, { plugin, coalescer });
    return coalescer;
  }

  /** Per plugin name: describe calls made and the group describes they answered. */
  stats(): Record<string, DescribeCoalescerStats> {
    return Object.fromEntries([...this.byName].map(([name, { coalescer }]) => [name, coalescer.stats()]));
  }
}
