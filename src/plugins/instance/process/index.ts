// The `process` instance plugin: every instance is a local process running its init with `sh -c`.
// Tend's embedded default — no root, no daemon; instances outlive the manager that started them.
export { createProcessPlugin, type ProcessPlugin, type ProcessPluginOptions } from './process-plugin.js';
export { type ProcessProperties, parseProcessProperties } from './properties.js';
