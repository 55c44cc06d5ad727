// The `hosts` instance plugin: instances are existing machines taken from a pool over SSH; the
// claim and Tend's tags live on each host, since such a platform has nothing to query.
export {
  type HostsConfig,
  type HostsConfigInput,
  type HostsProperties,
  hostsConfigSchema,
  type PoolHost,
  parseHostsConfig,
  parseHostsProperties,
} from './config.js';
export { createHostsPlugin, type HostsPlugin, type HostsPluginOptions } from './hosts-plugin.js';
export { KnownHosts } from './known-hosts.js';
export { type SshResult, type SshRun, type SshTarget, sshExec } from './ssh-exec.js';
