import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PluginLimits } from '../group/index.js';
import { type Clock, closestName, type Logger, silentLogger, systemClock } from '../lib/index.js';
import { createComboFlavor } from '../plugins/flavor/combo/index.js';
import { createVanillaFlavor } from '../plugins/flavor/vanilla/index.js';
import { connectFlavorPlugin, connectInstancePlugin, parsePluginName } from '../rpc/index.js';
import { type FlavorPlugin, type InstancePlugin, type PluginResolver, TendError } from '../spi/index.js';
import {
  BUILTIN_PLUGIN_KINDS,
  type PluginConfig,
  type PluginKind,
  type PluginKindContext,
} from './plugin-config/index.js';

export interface BuiltinPluginsOptions {
  /** State directory of the `process` plugin (its instances' state files and logs). */
  stateDir: string;
  /**
   * State directory of the `docker` plugin (its label overrides). Default: `docker` beside
   * `stateDir`, so both plugins keep their state under the same Tend home.
   */
  dockerStateDir?: string;
  /** Where plugins running as separate processes put their sockets. */
  pluginDir: string;
  logger?: Logger;
  clock?: Clock;
  /** Seed of the `simulator` plugin. */
  seed?: number;
  /** `--plugin-config`: named, configured plugins; they win over built-ins and sockets alike. */
  pluginConfig?: PluginConfig;
  /** The built-in kinds (default: all of them). */
  kinds?: readonly PluginKind[];
}

type Factory<P> = () => Promise<P>;

/**
 * The plugins in the box, created on first use: the sections of the plugin config by name, then
 * each built-in kind under its own name, then the sockets in the plugin directory. A configured
 * or built-in name wins over a socket of the same name.
 */
export class BuiltinPluginResolver implements PluginResolver {
  private readonly options: Required<
    Omit<BuiltinPluginsOptions, 'seed' | 'dockerStateDir' | 'pluginConfig' | 'kinds'>
  > & {
    seed: number;
    dockerStateDir: string;
  };
  private readonly instances = new Map<string, Promise<InstancePlugin>>();
  private readonly flavors = new Map<string, Promise<FlavorPlugin>>();
  private readonly kinds: ReadonlyMap<string, PluginKind>;
  private readonly pluginConfig: PluginConfig | undefined;
  private readonly builtinFlavors: Record<string, Factory<FlavorPlugin>>;

  constructor(options: BuiltinPluginsOptions) {
    this.options = {
      stateDir: options.stateDir,
      dockerStateDir: options.dockerStateDir ?? join(dirname(options.stateDir), 'docker'),
      pluginDir: options.pluginDir,
      logger: options.logger ?? silentLogger,
      clock: options.clock ?? systemClock,
      seed: options.seed ?? 1,
    };
    this.kinds = new Map((options.kinds ?? BUILTIN_PLUGIN_KINDS).map((k) => [k.kind, k]));
    this.pluginConfig = options.pluginConfig;
    const { logger, clock } = this.options;
    // The ensemble flavors are loaded on first use too: most managers never run one.
    this.builtinFlavors = {
      vanilla: async () => createVanillaFlavor(),
      combo: async () => createComboFlavor({ resolve: (name: string) => this.flavor(name) }),
      etcd: async () => (await import('../plugins/flavor/etcd/index.js')).createEtcdFlavor({ logger }),
      zookeeper: async () =>
        (await import('../plugins/flavor/zookeeper/index.js')).createZookeeperFlavor({ logger }),
      kubeadm: async () =>
        (await import('../plugins/flavor/kubeadm/index.js')).createKubeadmFlavor({ logger, clock }),
      swarm: async () =>
        (await import('../plugins/flavor/swarm/index.js')).createSwarmFlavor({ logger, clock }),
    };
  }

  instance(name: string): Promise<InstancePlugin> {
    return cached(this.instances, name, async () => {
      const configured = this.pluginConfig?.plugins.get(name);
      if (configured !== undefined) return configured.create(this.context(name));
      const kind = this.kinds.get(name);
      if (kind !== undefined) {
        const result = kind.configure({});
        if (result.ok) return result.create(this.context(name));
        throw new TendError(
          'invalid_spec',
          `the ${name} plugin needs configuration (${result.issues.map((i) => i.message).join('; ')}): add a section with kind: ${name} to the file given with --plugin-config (to tend up, tend plugin serve or tend plugin verify)`,
        );
      }
      return this.unknownIfMissing('instance', name, () =>
        connectInstancePlugin({ name, dir: this.options.pluginDir }),
      );
    });
  }

  /** The names served in the box (configured sections first), for listings and suggestions. */
  builtinNames(kind: 'instance' | 'flavor'): string[] {
    if (kind === 'flavor') return Object.keys(this.builtinFlavors);
    return [...new Set([...(this.pluginConfig?.plugins.keys() ?? []), ...this.kinds.keys()])];
  }

  /**
   * A name that is neither built in nor a socket is most often a typo (`vanila`): the error says
   * which built-in it is close to and lists them all, beside where the socket was looked for.
   */
  private async unknownIfMissing<P>(
    kind: 'instance' | 'flavor',
    name: string,
    connect: () => Promise<P>,
  ): Promise<P> {
    try {
      return await connect();
    } catch (error) {
      if (!TendError.is(error, 'not_found')) throw error;
      throw new TendError(
        'not_found',
        unknownPluginMessage(kind, name, this.builtinNames(kind), error.message),
        {
          cause: error,
          details: error.details,
        },
      );
    }
  }

  /**
   * Rate limits of an instance plugin: its section's (kind defaults + overrides), else its kind's
   * defaults when it is a built-in's own name; undefined leaves it to the manager's default.
   */
  limitsFor(name: string): PluginLimits | undefined {
    const configured = this.pluginConfig?.plugins.get(name);
    if (configured !== undefined) return configured.limits;
    return this.kinds.get(name)?.defaultLimits;
  }

  private context(name: string): PluginKindContext {
    const { stateDir, dockerStateDir, pluginDir, clock, seed, logger } = this.options;
    const baseDir = this.pluginConfig?.baseDir ?? process.cwd();
    return {
      name,
      // The built-ins' own names keep the directories they always had; every other name gets its
      // own directory under plugin-state/, so a name can never land on the store or a socket dir.
      stateDir:
        name === 'process'
          ? stateDir
          : name === 'docker'
            ? dockerStateDir
            : join(dirname(stateDir), 'plugin-state', name),
      pluginDir,
      resolvePath: (path) => resolve(baseDir, path),
      logger: logger.child({ plugin: name }),
      clock,
      seed,
    };
  }

  flavor(name: string): Promise<FlavorPlugin> {
    return cached(this.flavors, name, () => {
      const builtin = this.builtinFlavors[name];
      if (builtin !== undefined && Object.hasOwn(this.builtinFlavors, name)) return builtin();
      return this.unknownIfMissing('flavor', name, () =>
        connectFlavorPlugin({ name, dir: this.options.pluginDir }),
      );
    });
  }

  /**
   * Whether `name` is a plugin in the box (a configured section or built-in kind: instance; a
   * built-in flavor: flavor), never a socket: `tend plugin serve` must not serve a socket as itself.
   */
  builtinKindOf(name: string): 'instance' | 'flavor' | undefined {
    if (this.pluginConfig?.plugins.has(name) === true || this.kinds.has(name)) return 'instance';
    if (Object.hasOwn(this.builtinFlavors, name)) return 'flavor';
    return undefined;
  }

  /** For `parseSpecDocument`'s `isKnownPlugin`: a built-in, or a socket in the plugin directory. */
  isKnown(kind: 'instance' | 'flavor', name: string): boolean {
    if (kind === 'instance' && (this.pluginConfig?.plugins.has(name) === true || this.kinds.has(name)))
      return true;
    if (kind === 'flavor' && Object.hasOwn(this.builtinFlavors, name)) return true;
    try {
      const { lookup } = parsePluginName(name);
      const dir = this.options.pluginDir;
      return existsSync(join(dir, lookup)) || existsSync(join(dir, `${lookup}.listen`));
    } catch {
      return false;
    }
  }

  /** Closes every plugin created so far (watchers, sockets); instances keep running. */
  async close(): Promise<void> {
    const plugins = await Promise.allSettled([...this.instances.values(), ...this.flavors.values()]);
    this.instances.clear();
    this.flavors.clear();
    await Promise.allSettled(plugins.map((p) => (p.status === 'fulfilled' ? p.value.close?.() : undefined)));
  }
}

/** `unknown flavor plugin "vanila" (did you mean "vanilla"?); built in: vanilla, combo, …; <why not a socket>`. */
export function unknownPluginMessage(
  kind: 'instance' | 'flavor' | undefined,
  name: string,
  builtins: readonly string[],
  socketProblem: string,
): string {
  const close = closestName(name, builtins);
  const hint = close === undefined ? '' : ` (did you mean ${close}?)`;
  return `unknown ${kind === undefined ? '' : `${kind} `}plugin ${JSON.stringify(name)}${hint}; built in: ${builtins.join(', ')}; and ${socketProblem}`;
}

/** One creation per name; a failed one is forgotten so a later call can try again. */
function cached<P>(cache: Map<string, Promise<P>>, name: string, create: () => Promise<P>): Promise<P> {
  const existing = cache.get(name);
  if (existing !== undefined) return existing;
  const created = create();
  cache.set(name, created);
  created.catch(() => {
    if (cache.get(name) === created) cache.delete(name);
  });
  return created;
}
