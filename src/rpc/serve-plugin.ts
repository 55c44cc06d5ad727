import { basename } from 'node:path';
import type { Logger } from '../lib/index.js';
import { silentLogger } from '../lib/index.js';
import {
  type FlavorPlugin,
  type GroupPlugin,
  type InstancePlugin,
  type ManagerPlugin,
  type MetadataPlugin,
  TendError,
  type UpdatablePlugin,
} from '../spi/index.js';
import {
  HANDSHAKE_HELLO_METHOD,
  HANDSHAKE_METHOD,
  HANDSHAKE_TYPES_METHOD,
  helloResult,
  implementsResult,
  type PluginApiName,
  typesResult,
} from './handshake.js';
import { JsonRpcDispatcher } from './json-rpc-dispatcher.js';
import { type JsonRpcServer, serveJsonRpc } from './json-rpc-server.js';
import { ensurePluginDir, pluginSocketPath } from './plugin-dir.js';
import { PLUGIN_FUNCTIONS_PATH, PLUGIN_INFO_PATH, pluginInfo } from './plugin-info.js';
import {
  registerFlavorMethods,
  registerGroupMethods,
  registerInstanceMethods,
  registerManagerMethods,
  registerMetadataMethods,
  registerUpdatableMethods,
  type TypePicker,
} from './serve-methods.js';

/** Where to listen: an explicit socket path, or a name in a plugin directory. */
export type PluginLocation = { socketPath: string } | { dir: string; name: string };

export type ServePluginOptions = PluginLocation & {
  /** One plugin, or one per `Type` (clients name them `lookup/type`). */
  instance?: InstancePlugin | Readonly<Record<string, InstancePlugin>>;
  flavor?: FlavorPlugin | Readonly<Record<string, FlavorPlugin>>;
  group?: GroupPlugin;
  /** InfraKit's `Manager/0.1.0` (a manager's `group` socket). */
  manager?: ManagerPlugin;
  /** InfraKit's `Metadata/0.1.0`: a read-only tree browsed by path. */
  metadata?: MetadataPlugin;
  /** InfraKit's `Updatable/0.1.0`: a metadata tree whose document `manager change` edits. */
  updatable?: UpdatablePlugin;
  logger?: Logger;
  maxBodyBytes?: number;
  bodyTimeoutMs?: number;
};

/**
 * Serves spi plugins over the plugin protocol, so a plugin author writes only the interface.
 * The handshake announces exactly the APIs given; `Handshake.Types` names the types behind each,
 * and `GET /info/api.json` describes them, as InfraKit's plugins do.
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
  const types = new Map<PluginApiName, readonly string[]>();
  if (options.instance !== undefined) {
    types.set('Instance', typeNames(options.instance, isInstancePlugin));
    if (offersLogs(options.instance)) types.set('InstanceLogs', ['.']);
    registerInstanceMethods(dispatcher, picker(name, 'instance', options.instance, isInstancePlugin));
  }
  if (options.flavor !== undefined) {
    types.set('Flavor', typeNames(options.flavor, isFlavorPlugin));
    registerFlavorMethods(dispatcher, picker(name, 'flavor', options.flavor, isFlavorPlugin));
  }
  if (options.group !== undefined) {
    types.set('Group', ['.']);
    registerGroupMethods(dispatcher, options.group);
  }
  if (options.manager !== undefined) {
    types.set('Manager', ['.']);
    registerManagerMethods(dispatcher, options.manager);
  }
  if (options.metadata !== undefined) {
    types.set('Metadata', ['.']);
    registerMetadataMethods(dispatcher, options.metadata);
  }
  if (options.updatable !== undefined) {
    types.set('Updatable', ['.']);
    registerUpdatableMethods(dispatcher, options.updatable);
  }
  const apis = [...types.keys()];
  if (apis.length === 0) {
    throw new TendError(
      'invalid_spec',
      `plugin ${name}: servePlugin needs an instance, flavor, group, manager, metadata or updatable plugin`,
    );
  }
  const answer = implementsResult(apis);
  const typesAnswer = typesResult(types);
  const helloAnswer = helloResult(types);
  dispatcher.register(HANDSHAKE_METHOD, async () => answer);
  dispatcher.register(HANDSHAKE_TYPES_METHOD, async () => typesAnswer);
  dispatcher.register(HANDSHAKE_HELLO_METHOD, async () => helloAnswer);
  const info = pluginInfo(apis, dispatcher.methods());
  return serveJsonRpc({
    socketPath,
    dispatcher,
    logger,
    getRoutes: { [PLUGIN_INFO_PATH]: () => info, [PLUGIN_FUNCTIONS_PATH]: () => ({}) },
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs: options.bodyTimeoutMs }),
  });
}

/** Announced when the one plugin, or any of its types, keeps logs; a type without answers not_found. */
function offersLogs(served: InstancePlugin | Readonly<Record<string, InstancePlugin>>): boolean {
  const plugins = isInstancePlugin(served) ? [served] : Object.values(served);
  return plugins.some((plugin) => typeof plugin.logs === 'function');
}

/** `["."]` for one plugin, as InfraKit says of an untyped object; else the type names, sorted. */
function typeNames<P>(
  served: P | Readonly<Record<string, P>>,
  isPlugin: (value: unknown) => value is P,
): string[] {
  return isPlugin(served) ? ['.'] : Object.keys(served as Readonly<Record<string, P>>).sort();
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
