// The manager: leadership-gated group controllers, commits with history, and the HTTP API
// (plus InfraKit's Group.* socket). `ManagerClient` is how the CLI and tools talk to it.
export type * from './api-types.js';
export type { AuditEntry } from './audit-log.js';
export type { EventFilter } from './client.js';
export { ManagerClient, type ManagerClientOptions } from './client.js';
export { EtcdTokenBackend, type EtcdTokenBackendOptions } from './etcd-token-backend.js';
export type { SequencedEvent } from './event-ring.js';
export type { StreamHandlers } from './event-stream-reader.js';
export { FileTokenBackend } from './file-token-backend.js';
export { Manager } from './manager.js';
export { DEFAULT_PORT, isLoopbackHost, type ManagerOptions, type StaticHandler } from './manager-options.js';
export type { ManagerState } from './manager-state.js';
export { previewGroupPlan } from './plan-preview.js';
export type { TokenBackend, TokenRecord, TokenSnapshot } from './token-backend.js';
export {
  type Principal,
  type Role,
  roles,
  type TokenInfo,
  TokenStore,
  type TokenStoreOptions,
} from './token-store.js';
