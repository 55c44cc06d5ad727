// The `docker` instance plugin: instances are containers on a Docker Engine, Tend's tags are
// container labels, and engine events give fast healing.
import { DockerInstancePlugin, type DockerPluginOptions } from './plugin.js';

export { DockerInstancePlugin, type DockerPluginOptions } from './plugin.js';
export {
  type DockerMount,
  type DockerProperties,
  parseDockerProperties,
  type RestartPolicy,
} from './properties.js';

/** Creates the plugin; nothing touches the engine until the first call. */
export function createDockerPlugin(options: DockerPluginOptions = {}): DockerInstancePlugin {
  return new DockerInstancePlugin(options);
}
