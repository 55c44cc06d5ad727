import type { FlavorPlugin } from './flavor.js';
import type { InstancePlugin } from './instance.js';

/**
 * Finds plugins by name (`name` or `lookup/type`): built-ins first, then sockets in the plugin
 * directory. Rejects with kind `not_found` naming the plugin when there is none.
 */
export interface PluginResolver {
  instance(name: string): Promise<InstancePlugin>;
  flavor(name: string): Promise<FlavorPlugin>;
}
