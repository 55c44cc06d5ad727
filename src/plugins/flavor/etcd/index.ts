// The `etcd` flavor: one etcd member per logical ID, with real health checks and membership
// changes (remove, add, `existing` state) that never take the cluster below quorum.
export { createEtcdFlavor, type EtcdFlavorOptions, TAG_ETCD_MEMBER } from './etcd-flavor.js';
export {
  createEtcdGateway,
  type EtcdGateway,
  type EtcdGatewayOptions,
  type EtcdMember,
} from './etcd-gateway.js';
export { type EtcdProperties, parseEtcdProperties } from './properties.js';
