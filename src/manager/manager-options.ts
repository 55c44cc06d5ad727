import { hostname, userInfo } from 'node:os';
import {
  createGroupController,
  type GroupController,
  type GroupControllerOptions,
  type PluginLimiterOptions,
} from '../group/index.js';
import { type Clock, type Logger, silentLogger, systemClock } from '../lib/index.js';
import type { ConfigStore, Leadership, PluginResolver } from '../spi/index.js';

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
  clock?: Clock;
  logger?: Logger;
  /** Passed to every group controller. */
  tickIntervalMs?: number;
  /** Serve InfraKit's `Group.*` on a unix socket (default name `group`) in this plugin directory. */
  groupSocket?: { dir: string; name?: string };
  /** How many recent events `GET /v1/events` keeps. */
  eventCapacity?: number;
  /** Request bodies larger than this are refused with 413. */
  bodyLimitBytes?: number;
  /** How often a group whose plugins are missing is tried again. */
  retryIntervalMs?: number;
  /** Recorded as author when a request names none. */
  defaultAuthor?: string;
  /** Rate and concurrency per instance plugin, shared by every group using it. */
  pluginLimits?: Omit<PluginLimiterOptions, 'clock'>;
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
  clock: Clock;
  logger: Logger;
  tickIntervalMs: number | undefined;
  groupSocket: { dir: string; name: string } | undefined;
  eventCapacity: number;
  bodyLimitBytes: number;
  retryIntervalMs: number;
  defaultAuthor: string;
  pluginLimits: Omit<PluginLimiterOptions, 'clock'>;
  createController: (options: GroupControllerOptions) => GroupController;
}

export const DEFAULT_PORT = 7420;

export function resolveManagerOptions(options: ManagerOptions): ResolvedManagerOptions {
  return {
    name: options.name,
    store: options.store,
    leadership: typeof options.leadership === 'function' ? options.leadership : constant(options.leadership),
    ownsLeadership: typeof options.leadership === 'function',
    resolver: options.resolver,
    listen: { host: options.listen?.host ?? '127.0.0.1', port: options.listen?.port ?? DEFAULT_PORT },
    clock: options.clock ?? systemClock,
    // Each part binds its own `component`; binding one here too would repeat the key in every line.
    logger: (options.logger ?? silentLogger).child({ manager: options.name }),
    tickIntervalMs: options.tickIntervalMs,
    groupSocket:
      options.groupSocket === undefined
        ? undefined
        : { dir: options.groupSocket.dir, name: options.groupSocket.name ?? 'group' },
    eventCapacity: options.eventCapacity ?? 1000,
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    retryIntervalMs: options.retryIntervalMs ?? 5000,
    defaultAuthor: options.defaultAuthor ?? defaultAuthor(),
    pluginLimits: options.pluginLimits ?? { ratePerSec: 20, burst: 20, concurrency: 8 },
    createController: options.createController ?? createGroupController,
  };
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
