import type { PluginKind } from './define-kind.js';
import { dockerKind } from './kinds/docker.js';
import { ec2Kind } from './kinds/ec2.js';
import { hostsKind } from './kinds/hosts.js';
import { processKind } from './kinds/process.js';
import { simulatorKind } from './kinds/simulator.js';

/**
 * Every built-in instance plugin kind, one entry each. Each is also served under its own name
 * (`plugin: docker`) with an empty config, unless the plugin config file configures that name.
 */
export const BUILTIN_PLUGIN_KINDS: readonly PluginKind[] = [
  processKind,
  simulatorKind,
  dockerKind,
  ec2Kind,
  hostsKind,
];
