import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, type LogLevel } from '../../lib/index.js';
import { pluginDir, pluginSocketPath, servePlugin } from '../../rpc/index.js';
import { TendError } from '../../spi/index.js';
import { BuiltinPluginResolver } from '../builtin-plugins.js';
import { printLine } from '../output.js';
import { loadPluginConfig } from '../plugin-config/index.js';
import { tendHome } from './up-backends.js';

export interface PluginServeOptions {
  /** Socket name in the plugin directory (default: the plugin's name). */
  name?: string;
  pluginConfig?: string;
  stateDir?: string;
  logLevel?: LogLevel;
}

/**
 * `tend plugin serve NAME`: one built-in instance plugin or flavor on a socket of the plugin
 * directory, in InfraKit's wire shapes, with InfraKit's `<name>.pid` beside it, until SIGINT or
 * SIGTERM. Instances keep running when it stops, as they do when `tend up` stops.
 */
export async function servePluginCommand(name: string, options: PluginServeOptions): Promise<void> {
  const home = tendHome();
  const dir = pluginDir();
  const socketName = options.name ?? name;
  const logger = createLogger({ level: options.logLevel ?? 'info' });
  const pluginConfig =
    options.pluginConfig === undefined ? undefined : await loadPluginConfig(options.pluginConfig);
  const resolver = new BuiltinPluginResolver({
    stateDir: options.stateDir ?? join(home, 'process'),
    pluginDir: dir,
    logger,
    ...(pluginConfig === undefined ? {} : { pluginConfig }),
  });
  try {
    const kind = resolver.builtinKindOf(name);
    if (kind === undefined) {
      throw new TendError(
        'invalid_spec',
        `no built-in plugin ${name}: instance plugins ${resolver.builtinNames('instance').join(', ')}; flavors ${resolver.builtinNames('flavor').join(', ')}`,
      );
    }
    const served =
      kind === 'instance'
        ? { instance: await resolver.instance(name) }
        : { flavor: await resolver.flavor(name) };
    const server = await servePlugin({ dir, name: socketName, ...served, logger });
    const pidPath = `${pluginSocketPath(dir, socketName)}.pid`;
    await writeFile(pidPath, String(process.pid), { mode: 0o644 });
    printLine(`plugin ${name} (${kind}) serving on ${server.socketPath}, pid file ${pidPath}`);
    const signal = await untilStopSignal();
    printLine(`${signal}: stopping plugin ${name}; instances keep running`);
    await server.close({ signal: AbortSignal.timeout(10_000) });
    await rm(pidPath, { force: true });
  } finally {
    await resolver.close();
  }
}

function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
