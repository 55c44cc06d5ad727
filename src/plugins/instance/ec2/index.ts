// The `ec2` instance plugin: AWS EC2 through the SDK v3 — Tend's tags via TagSpecifications,
// one instance per operation key (ClientToken + tag lookup), pets with fixed IPs and EBS volumes.
import { Ec2InstancePlugin, type Ec2PluginOptions } from './plugin.js';

export { createEc2Client, type Ec2ConnectionOptions, ec2Error } from './client.js';
export { LIVE_STATES } from './describe.js';
export { Ec2InstancePlugin, type Ec2PluginOptions } from './plugin.js';
export { EBS_ATTACHMENT_TYPE, type Ec2Properties, parseEc2Properties } from './properties.js';
export { clientToken } from './provision.js';

/** Creates the plugin; nothing talks to EC2 until the first call. */
export function createEc2Plugin(options: Ec2PluginOptions = {}): Ec2InstancePlugin {
  return new Ec2InstancePlugin(options);
}
