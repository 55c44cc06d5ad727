// Where Tend keeps what users declared: specs with history, the operation journal, group state
// and the fence. Backends: memory (tests), file (embedded default), etcd (HA). Their shared
// contract suite is test code: test/support/contract/store-contract.ts.
export { EtcdStore, type EtcdStoreOptions } from './etcd-store.js';
export { FileStore, type FileStoreOptions } from './file-store.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { SWARM_STORE_MAX_BYTES, SwarmStore, type SwarmStoreOptions } from './swarm-store.js';
