// The manager: leadership-gated group controllers, commits with history, and the HTTP API
// (plus InfraKit's Group.* socket). `ManagerClient` is how the CLI and tools talk to it.

// The client lives in api/ (it must load without the manager); re-exported for the manager's users.
export {
  DEFAULT_PORT,
  type EventFilter,
  ManagerClient,
  type ManagerClientOptions,
  type StreamHandlers,
} from '../api/index.js';
export type * from './api-types.js';
export type { AuditEntry } from './audit-log.js';
export { EtcdTokenBackend, type EtcdTokenBackendOptions } from './etcd-token-backend.js';
export type { SequencedEvent } from './event-ring.js';
export { FileTokenBackend } from './file-token-backend.js';
export { Manager } from './manager.js';
export { isLoopbackHost, type ManagerOptions, type StaticHandler } from './manager-options.js';
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
