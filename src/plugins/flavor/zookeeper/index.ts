// The `zookeeper` flavor: one ZooKeeper server per logical ID on a static ensemble (zoo.cfg +
// myid), health by the `ruok`/`srvr` four-letter commands; a replacement rejoins with its id.

export { zooCfg } from './init-script.js';
export { parseZookeeperProperties, type ZookeeperProperties } from './properties.js';
export {
  createZookeeperFlavor,
  TAG_ZOOKEEPER_ID,
  TAG_ZOOKEEPER_MEMBER,
  type ZookeeperFlavorOptions,
} from './zookeeper-flavor.js';
