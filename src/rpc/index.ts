// The plugin protocol (ARCHITECTURE.md §3): a transport-free JSON-RPC 2.0 dispatcher, its HTTP
// binding on unix sockets, the plugin directory, the InfraKit wire codec and remote adapters.
export * from './codec.js';
export * from './connect-plugin.js';
export * from './handshake.js';
export * from './json-rpc-client.js';
export * from './json-rpc-dispatcher.js';
export * from './json-rpc-server.js';
export * from './metadata-tree.js';
export * from './plugin-dir.js';
export * from './plugin-info.js';
export * from './remote-flavor-plugin.js';
export * from './remote-group-plugin.js';
export * from './remote-instance-plugin.js';
export * from './serve-plugin.js';
export { checkSocketPath, isSocketLive, MAX_SOCKET_PATH_BYTES, removeStaleSocket } from './unix-socket.js';
