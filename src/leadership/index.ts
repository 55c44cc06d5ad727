// Decides which manager acts: static (always leader), file (a shared file with a lease) and etcd
// (a lease-bound key; epoch = its create revision). One shared contract suite for all of them.
export { EtcdLeadership, type EtcdLeadershipOptions } from './etcd-leadership.js';
export { FileLeadership, type FileLeadershipOptions } from './file-leadership.js';
export { type LeadershipFixture, runLeadershipContract } from './leadership-contract.js';
export { LEADERSHIP_API, PluginLeadership, type PluginLeadershipOptions } from './plugin-leadership.js';
export { StaticLeadership, type StaticLeadershipOptions } from './static-leadership.js';
export { SwarmLeadership, type SwarmLeadershipOptions } from './swarm-leadership.js';
