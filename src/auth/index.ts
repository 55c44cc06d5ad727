// Who may call the manager and what they did: bearer tokens (hashed, in a file or etcd shared by
// every manager) and the append-only audit log. Used by the HTTP server and the manager.
export { type AuditEntry, AuditLog, type AuditLogOptions } from './audit-log.js';
export { EtcdTokenBackend, type EtcdTokenBackendOptions } from './etcd-token-backend.js';
export { FileTokenBackend } from './file-token-backend.js';
export type { TokenBackend, TokenRecord, TokenSnapshot } from './token-backend.js';
export {
  type Principal,
  type Role,
  roleAtLeast,
  roles,
  TOKEN_NAME,
  type TokenInfo,
  TokenStore,
  type TokenStoreOptions,
} from './token-store.js';
