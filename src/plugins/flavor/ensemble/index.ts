/** What the ensemble flavors (etcd, ZooKeeper) share: how members are declared. */
export * from './members.js';
