// Decides which manager acts: static (always leader), file (a shared file with a lease) and etcd
// (a lease-bound key; epoch = its create revision). Their shared contract suite is test code:
// test/support/contract/leadership-contract.ts.
export { EtcdLeadership, type EtcdLeadershipOptions } from './etcd-leadership.js';
export { FileLeadership, type FileLeadershipOptions } from './file-leadership.js';
export { LEADERSHIP_API, PluginLeadership, type PluginLeadershipOptions } from './plugin-leadership.js';
export { StaticLeadership, type StaticLeadershipOptions } from './static-leadership.js';
export { SwarmLeadership, type SwarmLeadershipOptions } from './swarm-leadership.js';
