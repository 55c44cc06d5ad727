// The manager's HTTP face: server, routes, auth, forwarding to the leader, the event stream and
// the read cache. It runs against `ManagerApi`, which the manager implements; the light client
// (api/index.ts) never loads this.
export { type EventFeed, StatusFeed } from './event-stream.js';
export type { ApiServerOptions, StaticHandler } from './handler-context.js';
export { isLoopbackHost } from './http-auth.js';
export { type ApiServer, startApiServer } from './http-server.js';
export type { ApiServices, ManagerApi } from './manager-api.js';
export { ReadCache, STATUS_KEY } from './read-cache.js';
