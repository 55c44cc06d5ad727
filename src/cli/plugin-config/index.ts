// `tend up --plugin-config FILE`: named, configured copies of the built-in instance plugin kinds,
// each with its own rate limits. A new built-in kind is one `definePluginKind` entry in builtin-kinds.ts.
export { BUILTIN_PLUGIN_KINDS } from './builtin-kinds.js';
export {
  type ConfigureResult,
  definePluginKind,
  type PluginKind,
  type PluginKindContext,
} from './define-kind.js';
export {
  type ConfiguredPlugin,
  loadPluginConfig,
  MAX_PLUGIN_CONFIG_BYTES,
  type PluginConfig,
  parsePluginConfig,
} from './parse-plugin-config.js';
