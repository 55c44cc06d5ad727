// The `tend` command line: the only folder that writes to stdout.
export { registerCommands } from './commands/index.js';
