import { hostname, userInfo } from 'node:os';
import { DEFAULT_PORT } from '../api/index.js';
import { isLoopbackHost, type StaticHandler } from '../api/server/index.js';
import type { TokenStore } from '../auth/index.js';
import {
  createGroupController,
  DEFAULT_MAX_ACTIONS_PER_TICK,
  DEFAULT_MAX_GROUP_SIZE,
  DEFAULT_PLUGIN_LIMITS,
  type GroupController,
  type GroupControllerOptions,
  type PluginLimiterOptions,
  type PluginLimits,
} from '../group/index.js';
import { type Clock, type Logger, silentLogger, systemClock } from '../lib/index.js';
import { type ConfigStore, type Leadership, type PluginResolver, TendError } from '../spi/index.js';

export interface ManagerOptions {
  /** This manager's name, as leadership and the API report it. */
  name: string;
  store: ConfigStore;
  /**
   * The leadership backend, or a function building it once the API is bound: leadership
   * advertises the API's address, which with port 0 is known only then. A leadership built by the
   * manager is closed by `stop()`; one passed in belongs to the caller.
   */
  leadership: Leadership | ((self: { address: string }) => Leadership);
  resolver: PluginResolver;
  /** Where the HTTP API listens. Defaults to 127.0.0.1:7420; port 0 picks a free port. */
  listen?: { host?: string; port?: number };
  /** PEM files; the API serves https with them. Required to listen on anything but loopback. */
  tls?: { certFile: string; keyFile: string };
  /**
   * Holds `tokens.json` (unless `tokens` is given), `audit.log` and `events-<name>.jsonl`. In
   * memory only when absent. Managers in HA must share their token set: the same `tokens.json`
   * (a shared directory), or a `TokenStore` on a shared backend such as etcd.
   */
  dataDir?: string;
  /** Bearer tokens; by default opened from `dataDir` (or kept in memory). Belongs to the caller. */
  tokens?: TokenStore;
  /** `/metrics` without a token from a loopback peer while the API is on loopback (default true). */
  anonymousMetricsOnLoopback?: boolean;
  /** The dashboard. */
  staticHandler?: StaticHandler;
  clock?: Clock;
  logger?: Logger;
  /** Passed to every group controller. */
  tickIntervalMs?: number;
  /** Serve InfraKit's `Group.*` on a unix socket (default name `group`) in this plugin directory. */
  groupSocket?: { dir: string; name?: string };
  /** How many recent events the durable event log keeps (default 10,000). */
  eventCapacity?: number;
  /** Request bodies larger than this are refused with 413. */
  bodyLimitBytes?: number;
  /** How often a group whose plugins are missing is tried again. */
  retryIntervalMs?: number;
  /** Recorded as author when a request names none. */
  defaultAuthor?: string;
  /**
   * Rate and concurrency of an instance plugin, shared by every group using it, for plugins that
   * `pluginLimitsFor` does not answer. Default 20/s, burst 20, 8 at once.
   */
  pluginLimits?: Omit<PluginLimiterOptions, 'clock'>;
  /**
   * Limits of one plugin by name (from `--plugin-config`: the kind's defaults and the file's
   * overrides); undefined falls back to `pluginLimits`. Asked once per plugin, when its limiter
   * is made.
   */
  pluginLimitsFor?: (plugin: string) => PluginLimits | undefined;
  /**
   * Least time between two describe calls to one instance plugin: the groups on it that tick
   * within it share one call (#17). Default 200 ms; 0 still merges groups that ask together.
   */
  describeWindowMs?: number;
  /**
   * Most instances (size, or logical IDs) one group may ask for; a spec above it is refused
   * naming the field and the limit. Default 10,000 (`DEFAULT_MAX_GROUP_SIZE`).
   */
  maxGroupSize?: number;
  /** Provisions and destroys one group plans per tick (default 1,000); the next tick continues. */
  maxActionsPerTick?: number;
  /** Seam for tests: builds the group controllers. */
  createController?: (options: GroupControllerOptions) => GroupController;
}

export interface ResolvedManagerOptions {
  name: string;
  store: ConfigStore;
  leadership: (self: { address: string }) => Leadership;
  /** True when the manager built its leadership (from a function) and so closes it on stop. */
  ownsLeadership: boolean;
  resolver: PluginResolver;
  listen: { host: string; port: number };
  tls: { certFile: string; keyFile: string } | undefined;
  dataDir: string | undefined;
  tokens: TokenStore | undefined;
  anonymousMetricsOnLoopback: boolean;
  staticHandler: StaticHandler | undefined;
  clock: Clock;
  logger: Logger;
  tickIntervalMs: number | undefined;
  groupSocket: { dir: string; name: string } | undefined;
  eventCapacity: number;
  bodyLimitBytes: number;
  retryIntervalMs: number;
  defaultAuthor: string;
  pluginLimitsFor: (plugin: string) => Omit<PluginLimiterOptions, 'clock'>;
  describeWindowMs: number;
  maxGroupSize: number;
  maxActionsPerTick: number;
  createController: (options: GroupControllerOptions) => GroupController;
}

export function resolveManagerOptions(options: ManagerOptions): ResolvedManagerOptions {
  const host = options.listen?.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && options.tls === undefined) {
    throw new TendError(
      'invalid_spec',
      `refusing to listen on ${host}: the API serves tokens and writes, so an address other than loopback needs TLS (--tls-cert FILE --tls-key FILE)`,
    );
  }
  return {
    name: options.name,
    store: options.store,
    leadership: typeof options.leadership === 'function' ? options.leadership : constant(options.leadership),
    ownsLeadership: typeof options.leadership === 'function',
    resolver: options.resolver,
    listen: { host, port: options.listen?.port ?? DEFAULT_PORT },
    tls: options.tls,
    dataDir: options.dataDir,
    tokens: options.tokens,
    anonymousMetricsOnLoopback: options.anonymousMetricsOnLoopback ?? true,
    staticHandler: options.staticHandler,
    clock: options.clock ?? systemClock,
    // Each part binds its own `component`; binding one here too would repeat the key in every line.
    logger: (options.logger ?? silentLogger).child({ manager: options.name }),
    tickIntervalMs: options.tickIntervalMs,
    groupSocket:
      options.groupSocket === undefined
        ? undefined
        : { dir: options.groupSocket.dir, name: options.groupSocket.name ?? 'group' },
    eventCapacity: options.eventCapacity ?? 10_000,
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    retryIntervalMs: options.retryIntervalMs ?? 5000,
    defaultAuthor: options.defaultAuthor ?? defaultAuthor(),
    pluginLimitsFor: limitsByName(options),
    describeWindowMs: options.describeWindowMs ?? 200,
    maxGroupSize: positiveWhole('maxGroupSize', options.maxGroupSize ?? DEFAULT_MAX_GROUP_SIZE),
    maxActionsPerTick: positiveWhole(
      'maxActionsPerTick',
      options.maxActionsPerTick ?? DEFAULT_MAX_ACTIONS_PER_TICK,
    ),
    createController: options.createController ?? createGroupController,
  };
}

function limitsByName(options: ManagerOptions): (plugin: string) => Omit<PluginLimiterOptions, 'clock'> {
  const fallback = options.pluginLimits ?? DEFAULT_PLUGIN_LIMITS;
  const byName = options.pluginLimitsFor;
  return (plugin) => byName?.(plugin) ?? fallback;
}

function positiveWhole(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TendError('invalid_spec', `manager option ${name}: expected a whole number ≥ 1, got ${value}`);
  }
  return value;
}

function defaultAuthor(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return hostname();
  }
}

function constant(leadership: Leadership): () => Leadership {
  return () => leadership;
}
