import type { ControllerObserver } from '../group/index.js';
import type { InstancePlugin, InstanceSpec, PluginResolver } from '../spi/index.js';
import { callResult, type ManagerMetrics } from './metrics.js';

export interface InstrumentOptions {
  metrics: ManagerMetrics;
  /** The plugin's name as the spec gives it (the metric label). */
  plugin: string;
  now?: () => number;
}

/**
 * Wraps an instance plugin used outside any controller (the shared describe coalescer, spec
 * validation, instance logs) so its calls reach `tend_provider_calls_total` too. A controller's
 * own calls are reported by the controller itself (`metricsObserver`).
 */
export function instrumentInstancePlugin(plugin: InstancePlugin, options: InstrumentOptions): InstancePlugin {
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
    describeInstances: (tags, callOptions) =>
      timed('describe', () => plugin.describeInstances(tags, callOptions)),
  };
  const { logs, watch, close } = plugin;
  if (logs !== undefined)
    wrapped.logs = (id, logOptions) => timed('logs', () => logs.call(plugin, id, logOptions));
  if (watch !== undefined) wrapped.watch = (listener) => watch.call(plugin, listener);
  if (close !== undefined) wrapped.close = () => close.call(plugin);
  return wrapped;
}

/** A resolver whose instance plugins are counted, for the manager's calls outside controllers. */
export function instrumentResolver(resolver: PluginResolver, metrics: ManagerMetrics): PluginResolver {
  return {
    instance: async (name) =>
      instrumentInstancePlugin(await resolver.instance(name), { metrics, plugin: name }),
    flavor: (name) => resolver.flavor(name),
  };
}

/** The controller's reports as metrics: its look at the group (reconcile time) and its calls. */
export function metricsObserver(metrics: ManagerMetrics): ControllerObserver {
  return {
    observed: (report) => metrics.reconciled(report.group, report.ms / 1000),
    call: (report) =>
      metrics.providerCall(
        report.plugin,
        report.method,
        report.error === undefined ? 'ok' : callResult(report.error),
        report.ms / 1000,
      ),
  };
}

/**
 * Wraps a controller factory so each controller reports to `metrics` through its observer (the
 * leader session gives controllers no observer of its own).
 */
export function observedControllers<O extends { observer?: ControllerObserver }, C>(
  create: (options: O) => C,
  metrics: ManagerMetrics,
): (options: O) => C {
  const observer = metricsObserver(metrics);
  return (options) => create({ ...options, observer });
}
