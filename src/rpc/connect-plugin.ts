import { TendError } from '../spi/index.js';
import { handshake, hasApi, type PluginApi, type PluginApiName, requireApi } from './handshake.js';
import { JsonRpcClient } from './json-rpc-client.js';
import { findPlugin, pluginDir } from './plugin-dir.js';
import { RemoteFlavorPlugin } from './remote-flavor-plugin.js';
import { RemoteGroupPlugin } from './remote-group-plugin.js';
import { RemoteInstancePlugin } from './remote-instance-plugin.js';

export interface ConnectPluginOptions {
  /** Plugin name, `lookup` or `lookup/type`. */
  name: string;
  /** Default: `$TEND_PLUGIN_DIR`, else `~/.tend/plugins`. */
  dir?: string;
  /** Per-call limit for the connection's calls. */
  timeoutMs?: number;
  /** Largest answer accepted from the plugin (default 16 MiB, `DEFAULT_MAX_ANSWER_BYTES`). */
  maxAnswerBytes?: number;
  signal?: AbortSignal;
}

export interface ConnectedPlugin {
  name: string;
  lookup: string;
  type?: string;
  socketPath: string;
  client: JsonRpcClient;
  /** What the plugin announced in its handshake. */
  apis: PluginApi[];
}

/** Finds a plugin in the directory and shakes hands; the caller owns (and closes) the client. */
export async function connectPlugin(options: ConnectPluginOptions): Promise<ConnectedPlugin> {
  const found = await findPlugin(options.dir ?? pluginDir(), options.name);
  const client = new JsonRpcClient({
    socketPath: found.socketPath,
    ...(found.tcp === undefined ? {} : { tcp: found.tcp }),
    pluginName: options.name,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.maxAnswerBytes === undefined ? {} : { maxAnswerBytes: options.maxAnswerBytes }),
  });
  try {
    const apis = await handshake(client, options.signal === undefined ? {} : { signal: options.signal });
    return { ...found, client, apis };
  } catch (error) {
    client.close();
    throw error;
  }
}

async function connectFor(options: ConnectPluginOptions, api: PluginApiName): Promise<ConnectedPlugin> {
  const connected = await connectPlugin(options);
  try {
    requireApi(options.name, connected.apis, api);
    return connected;
  } catch (error) {
    connected.client.close();
    throw error;
  }
}

/** A remote InstancePlugin, after checking the plugin speaks Instance/0.5.0. */
export async function connectInstancePlugin(options: ConnectPluginOptions): Promise<RemoteInstancePlugin> {
  const { client, type, apis } = await connectFor(options, 'Instance');
  const logs = hasApi(apis, 'InstanceLogs');
  return new RemoteInstancePlugin(type === undefined ? { client, logs } : { client, type, logs });
}

/** A remote FlavorPlugin, after checking the plugin speaks Flavor/0.1.0. */
export async function connectFlavorPlugin(options: ConnectPluginOptions): Promise<RemoteFlavorPlugin> {
  const { client, type } = await connectFor(options, 'Flavor');
  return new RemoteFlavorPlugin(type === undefined ? { client } : { client, type });
}

/** A remote GroupPlugin (a manager's `group` socket), after checking it speaks Group/0.1.0. */
export async function connectGroupPlugin(options: ConnectPluginOptions): Promise<RemoteGroupPlugin> {
  const { client, type } = await connectFor(options, 'Group');
  if (type !== undefined) {
    client.close();
    throw new TendError(
      'invalid_spec',
      `plugin ${options.name}: a group plugin has no types; use its bare name`,
    );
  }
  return new RemoteGroupPlugin({ client });
}
