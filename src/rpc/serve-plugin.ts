import { basename } from 'node:path';
import type { Logger } from '../lib/index.js';
import { silentLogger } from '../lib/index.js';
import { type FlavorPlugin, type GroupPlugin, type InstancePlugin, TendError } from '../spi/index.js';
import { HANDSHAKE_METHOD, implementsResult, type PluginApiName } from './handshake.js';
import { JsonRpcDispatcher } from './json-rpc-dispatcher.js';
import { type JsonRpcServer, serveJsonRpc } from './json-rpc-server.js';
import { ensurePluginDir, pluginSocketPath } from './plugin-dir.js';
import {
  registerFlavorMethods,
  registerGroupMethods,
  registerInstanceMethods,
  type TypePicker,
} from './serve-methods.js';

/** Where to listen: an explicit socket path, or a name in a plugin directory. */
export type PluginLocation = { socketPath: string } | { dir: string; name: string };

export type ServePluginOptions = PluginLocation & {
  /** One plugin, or one per `Type` (clients name them `lookup/type`). */
  instance?: InstancePlugin | Readonly<Record<string, InstancePlugin>>;
  flavor?: FlavorPlugin | Readonly<Record<string, FlavorPlugin>>;
  group?: GroupPlugin;
  logger?: Logger;
  maxBodyBytes?: number;
  bodyTimeoutMs?: number;
};

/**
 * Serves spi plugins over the plugin protocol, so a plugin author writes only the interface.
 * The handshake announces exactly the APIs given.
 */
export async function servePlugin(options: ServePluginOptions): Promise<JsonRpcServer> {
  let socketPath: string;
  if ('socketPath' in options) {
    socketPath = options.socketPath;
  } else {
    await ensurePluginDir(options.dir);
    socketPath = pluginSocketPath(options.dir, options.name);
  }
  const name = 'name' in options ? options.name : basename(socketPath);
  const logger = (options.logger ?? silentLogger).child({ plugin: name });
  const dispatcher = new JsonRpcDispatcher({ logger });
  const apis: PluginApiName[] = [];
  if (options.instance !== undefined) {
    apis.push('Instance');
    if (offersLogs(options.instance)) apis.push('InstanceLogs');
    registerInstanceMethods(dispatcher, picker(name, 'instance', options.instance, isInstancePlugin));
  }
  if (options.flavor !== undefined) {
    apis.push('Flavor');
    registerFlavorMethods(dispatcher, picker(name, 'flavor', options.flavor, isFlavorPlugin));
  }
  if (options.group !== undefined) {
    apis.push('Group');
    registerGroupMethods(dispatcher, options.group);
  }
  if (apis.length === 0) {
    throw new TendError(
      'invalid_spec',
      `plugin ${name}: servePlugin needs an instance, flavor or group plugin`,
    );
  }
  const answer = implementsResult(apis);
  dispatcher.register(HANDSHAKE_METHOD, async () => answer);
  return serveJsonRpc({
    socketPath,
    dispatcher,
    logger,
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs: options.bodyTimeoutMs }),
  });
}

/** Announced when the one plugin, or any of its types, keeps logs; a type without answers not_found. */
function offersLogs(served: InstancePlugin | Readonly<Record<string, InstancePlugin>>): boolean {
  const plugins = isInstancePlugin(served) ? [served] : Object.values(served);
  return plugins.some((plugin) => typeof plugin.logs === 'function');
}

function isInstancePlugin(value: unknown): value is InstancePlugin {
  return (
    typeof value === 'object' &&
    value !== null &&
    'provision' in value &&
    typeof value.provision === 'function'
  );
}

function isFlavorPlugin(value: unknown): value is FlavorPlugin {
  return (
    typeof value === 'object' && value !== null && 'prepare' in value && typeof value.prepare === 'function'
  );
}

function picker<P>(
  name: string,
  kind: string,
  served: P | Readonly<Record<string, P>>,
  isPlugin: (value: unknown) => value is P,
): TypePicker<P> {
  // A plugin serving one type ignores `Type`, as InfraKit's single-type plugins do.
  if (isPlugin(served)) return () => served;
  const byType = served as Readonly<Record<string, P>>;
  const types = Object.keys(byType).sort();
  return (type) => {
    if (type === undefined || type === null || type === '') {
      const only = types.length === 1 && types[0] !== undefined ? byType[types[0]] : undefined;
      if (only !== undefined) return only;
      throw new TendError(
        'invalid_spec',
        `plugin ${name} serves ${kind} types ${types.join(', ')}: the request names none`,
        {
          details: { plugin: name, types },
        },
      );
    }
    const plugin = Object.hasOwn(byType, type) ? byType[type] : undefined;
    if (plugin === undefined) {
      throw new TendError(
        'not_found',
        `plugin ${name} has no ${kind} type "${type}" (it has ${types.join(', ')})`,
        {
          details: { plugin: name, type, types },
        },
      );
    }
    return plugin;
  };
}
