// The `swarm` flavor: Docker swarm workers and managers that join with a token fetched at prepare
// time, report the node's health, drain before destroy, and keep Raft quorum on manager changes.

export { parseSwarmProperties, type SwarmProperties } from './properties.js';
export { createSwarmFlavor, type SwarmFlavorOptions, TAG_SWARM_LINK } from './swarm-flavor.js';
export {
  createDockerSwarmGateway,
  LINK_LABEL,
  type SwarmGateway,
  type SwarmNode,
} from './swarm-gateway.js';
