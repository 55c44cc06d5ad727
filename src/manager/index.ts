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
export { isLoopbackHost, type StaticHandler } from '../api/server/index.js';
// Tokens and audit live in auth/; re-exported for the manager's users (the CLI builds a TokenStore).
export {
  type AuditEntry,
  EtcdTokenBackend,
  type EtcdTokenBackendOptions,
  FileTokenBackend,
  type Principal,
  type Role,
  roles,
  type TokenBackend,
  type TokenInfo,
  type TokenRecord,
  type TokenSnapshot,
  TokenStore,
  type TokenStoreOptions,
} from '../auth/index.js';
export type * from './api-types.js';
export type { SequencedEvent } from './event-ring.js';
export { Manager } from './manager.js';
export type { ManagerOptions } from './manager-options.js';
export type { ManagerState } from './manager-state.js';
export { previewGroupPlan } from './plan-preview.js';
