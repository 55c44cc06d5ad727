import type { Describer } from '../group/index.js';
import { type FlavorPlugin, type InstancePlugin, type InstanceSpec, TAG_GROUP } from '../spi/index.js';
import { callResult, type ManagerMetrics } from './metrics.js';

export interface InstrumentOptions {
  metrics: ManagerMetrics;
  /** The plugin's name as the spec gives it (the metric label). */
  plugin: string;
  group: string;
  now?: () => number;
}

/**
 * Wraps the instance plugin a controller gets so every call is counted by result, without
 * touching the controller. A tick starts with a describe by the group tag alone; that start and
 * the health checks after it (see `instrumentFlavorPlugin`) time the observe phase of the tick.
 */
export function instrumentInstancePlugin(
  plugin: InstancePlugin,
  options: InstrumentOptions,
  tick: TickTimer,
): InstancePlugin {
  const now = options.now ?? performance.now.bind(performance);
  const timed = async <T>(method: string, call: () => Promise<T>): Promise<T> => {
    const started = now();
    try {
      const value = await call();
      options.metrics.providerCall(options.plugin, method, 'ok', (now() - started) / 1000);
      return value;
    } catch (error) {
      options.metrics.providerCall(options.plugin, method, callResult(error), (now() - started) / 1000);
      throw error;
    }
  };
  const wrapped: InstancePlugin = {
    validate: (properties, callOptions) => timed('validate', () => plugin.validate(properties, callOptions)),
    provision: (spec: InstanceSpec, callOptions) =>
      timed('provision', () => plugin.provision(spec, callOptions)),
    label: (id, labels, callOptions) => timed('label', () => plugin.label(id, labels, callOptions)),
    destroy: (id, context, callOptions) => timed('destroy', () => plugin.destroy(id, context, callOptions)),
    describeInstances: async (tags, callOptions) => {
      const isTick = Object.keys(tags).length === 1 && tags[TAG_GROUP] === options.group;
      if (isTick) tick.started();
      try {
        const found = await timed('describe', () => plugin.describeInstances(tags, callOptions));
        if (isTick) tick.described(found.length);
        return found;
      } catch (error) {
        if (isTick) tick.described(0);
        throw error;
      }
    },
  };
  const { watch, close } = plugin;
  if (watch !== undefined) wrapped.watch = (listener) => watch.call(plugin, listener);
  if (close !== undefined) wrapped.close = () => close.call(plugin);
  return wrapped;
}

/** Counts health checks so the tick timer knows when the observe phase is over. */
export function instrumentFlavorPlugin(plugin: FlavorPlugin, tick: TickTimer): FlavorPlugin {
  const wrapped: FlavorPlugin = {
    validate: (...args) => plugin.validate(...args),
    prepare: (...args) => plugin.prepare(...args),
    drain: (...args) => plugin.drain(...args),
    healthy: async (...args) => {
      try {
        return await plugin.healthy(...args);
      } finally {
        tick.healthChecked();
      }
    },
  };
  const { close } = plugin;
  if (close !== undefined) wrapped.close = () => close.call(plugin);
  return wrapped;
}

/** Start of a tick (describe) → its last health check: the part of every tick that always runs. */
export class TickTimer {
  private startedAt: number | undefined;
  private pendingChecks = 0;
  private readonly done: (seconds: number) => void;
  private readonly now: () => number;

  constructor(done: (seconds: number) => void, now: () => number = performance.now.bind(performance)) {
    this.done = done;
    this.now = now;
  }

  started(): void {
    this.startedAt = this.now();
    this.pendingChecks = 0;
  }

  described(instances: number): void {
    this.pendingChecks = instances;
    if (instances === 0) this.finish();
  }

  healthChecked(): void {
    if (this.startedAt === undefined) return;
    this.pendingChecks -= 1;
    if (this.pendingChecks <= 0) this.finish();
  }

  private finish(): void {
    if (this.startedAt === undefined) return;
    this.done((this.now() - this.startedAt) / 1000);
    this.startedAt = undefined;
  }
}

/** Wraps a controller factory so each controller's plugins report to `metrics`. */
export function instrumentedControllers<
  O extends {
    spec: { id: string; instance: { plugin: string } };
    instancePlugin: InstancePlugin;
    flavorPlugin: FlavorPlugin;
    describer?: Describer;
  },
  C,
>(create: (options: O) => C, metrics: ManagerMetrics): (options: O) => C {
  return (options) => {
    const group = options.spec.id;
    const tick = new TickTimer((seconds) => metrics.reconciled(group, seconds));
    return create({
      ...options,
      instancePlugin: instrumentInstancePlugin(
        options.instancePlugin,
        { metrics, plugin: options.spec.instance.plugin, group },
        tick,
      ),
      flavorPlugin: instrumentFlavorPlugin(options.flavorPlugin, tick),
      ...(options.describer === undefined ? {} : { describer: timedDescriber(options.describer, tick) }),
    });
  };
}

/** A shared describer's answer to this group starts its tick, as its own describe would. */
function timedDescriber(describer: Describer, tick: TickTimer): Describer {
  return {
    describe: async (tags, signal) => {
      tick.started();
      try {
        const found = await describer.describe(tags, signal);
        tick.described(found.length);
        return found;
      } catch (error) {
        tick.described(0);
        throw error;
      }
    },
  };
}
