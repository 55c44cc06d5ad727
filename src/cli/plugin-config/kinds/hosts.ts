import { hostsConfigSchema } from '../../../plugins/instance/hosts/index.js';
import { definePluginKind } from '../define-kind.js';

// A pool has no defaults: `plugin: hosts` without a section is refused with a pointer to the file.
// Key files and the known-hosts file resolve against the config file's directory.
export const hostsKind = definePluginKind({
  kind: 'hosts',
  summary: 'existing machines from a pool over SSH (claims and tags kept on each host)',
  configSchema: hostsConfigSchema,
  create: async (config, { stateDir, resolvePath, logger, clock }) =>
    (await import('../../../plugins/instance/hosts/index.js')).createHostsPlugin({
      config: {
        ...config,
        knownHostsFile: resolvePath(config.knownHostsFile),
        pool: config.pool.map((host) => ({ ...host, keyFile: resolvePath(host.keyFile) })),
      },
      stateDir,
      logger,
      clock,
    }),
});
