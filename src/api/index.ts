// The manager's HTTP API from the outside: the shapes of its answers and `ManagerClient`, on
// node:http alone, so a CLI call loads nothing of the manager itself.
export {
  DEFAULT_PORT,
  type EventFilter,
  type LogsQuery,
  type LogsView,
  ManagerClient,
  type ManagerClientOptions,
} from './client.js';
export type { StreamHandlers } from './event-stream-reader.js';
export { applyStatusDelta } from './status-delta.js';
export * from './views.js';
