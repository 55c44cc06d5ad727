import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Clock, type Logger, silentLogger, systemClock } from '../lib/index.js';
import { createComboFlavor } from '../plugins/flavor/combo/index.js';
import { createVanillaFlavor } from '../plugins/flavor/vanilla/index.js';
import { createProcessPlugin } from '../plugins/instance/process/index.js';
import { createSimulatorPlugin } from '../plugins/instance/simulator/index.js';
import { connectFlavorPlugin, connectInstancePlugin, parsePluginName } from '../rpc/index.js';
import type { FlavorPlugin, InstancePlugin, PluginResolver } from '../spi/index.js';

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
}

type Factory<P> = () => Promise<P>;

/**
 * The plugins in the box, created on first use, and after them the sockets in the plugin
 * directory. A built-in name wins over a socket of the same name.
 */
export class BuiltinPluginResolver implements PluginResolver {
  private readonly options: Required<Omit<BuiltinPluginsOptions, 'seed' | 'dockerStateDir'>> & {
    seed: number;
    dockerStateDir: string;
  };
  private readonly instances = new Map<string, Promise<InstancePlugin>>();
  private readonly flavors = new Map<string, Promise<FlavorPlugin>>();
  private readonly builtinInstances: Record<string, Factory<InstancePlugin>>;
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
    const { logger, clock, seed, stateDir, dockerStateDir } = this.options;
    this.builtinInstances = {
      process: async () => createProcessPlugin({ stateDir, logger, clock }),
      simulator: async () => createSimulatorPlugin({ clock, seed }),
      // Loaded only when a group uses it: the Docker client is a large module.
      docker: async () =>
        (await import('../plugins/instance/docker/index.js')).createDockerPlugin({
          stateDir: dockerStateDir,
          logger,
          clock,
        }),
      // The AWS SDK is large too. Region, endpoint and credentials come from the SDK's own chain
      // (AWS_REGION, AWS_ENDPOINT_URL_EC2, AWS_PROFILE, shared files, instance metadata).
      ec2: async () => (await import('../plugins/instance/ec2/index.js')).createEc2Plugin({ logger, clock }),
    };
    // The ensemble flavors are loaded on first use too: most managers never run one.
    this.builtinFlavors = {
      vanilla: async () => createVanillaFlavor(),
      combo: async () => createComboFlavor({ resolve: (name: string) => this.flavor(name) }),
      etcd: async () => (await import('../plugins/flavor/etcd/index.js')).createEtcdFlavor({ logger }),
      zookeeper: async () =>
        (await import('../plugins/flavor/zookeeper/index.js')).createZookeeperFlavor({ logger }),
      kubeadm: async () =>
        (await import('../plugins/flavor/kubeadm/index.js')).createKubeadmFlavor({ logger, clock }),
    };
  }

  instance(name: string): Promise<InstancePlugin> {
    return cached(this.instances, name, () => {
      const builtin = this.builtinInstances[name];
      if (builtin !== undefined && Object.hasOwn(this.builtinInstances, name)) return builtin();
      return connectInstancePlugin({ name, dir: this.options.pluginDir });
    });
  }

  flavor(name: string): Promise<FlavorPlugin> {
    return cached(this.flavors, name, () => {
      const builtin = this.builtinFlavors[name];
      if (builtin !== undefined && Object.hasOwn(this.builtinFlavors, name)) return builtin();
      return connectFlavorPlugin({ name, dir: this.options.pluginDir });
    });
  }

  /** For `parseSpecDocument`'s `isKnownPlugin`: a built-in, or a socket in the plugin directory. */
  isKnown(kind: 'instance' | 'flavor', name: string): boolean {
    const builtins = kind === 'instance' ? this.builtinInstances : this.builtinFlavors;
    if (Object.hasOwn(builtins, name)) return true;
    try {
      return existsSync(join(this.options.pluginDir, parsePluginName(name).lookup));
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
