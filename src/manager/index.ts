// The manager: leadership-gated group controllers, commits with history, and the HTTP API
// (plus InfraKit's Group.* socket). `ManagerClient` is how the CLI and tools talk to it.
export type * from './api-types.js';
export { ManagerClient, type ManagerClientOptions } from './client.js';
export type { SequencedEvent } from './event-ring.js';
export { groupPluginOverApi } from './group-socket.js';
export { Manager, type ManagerState } from './manager.js';
export { DEFAULT_PORT, type ManagerOptions } from './manager-options.js';
export { previewGroupPlan } from './plan-preview.js';
