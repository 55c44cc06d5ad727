import type { Command } from 'commander';
import { registerApplyCommands } from './apply.js';
import { registerHistoryCommand } from './history.js';
import { registerPluginCommands } from './plugin.js';
import { registerRemoveCommands } from './remove.js';
import { registerRolloutCommands } from './rollout.js';
import { registerScaleCommand } from './scale.js';
import { registerStatusCommands } from './status.js';
import { registerUpCommand } from './up.js';

/** Adds every command to the program. One line per command file. */
export function registerCommands(program: Command): void {
  registerUpCommand(program);
  registerApplyCommands(program);
  registerStatusCommands(program);
  registerScaleCommand(program);
  registerRolloutCommands(program);
  registerHistoryCommand(program);
  registerRemoveCommands(program);
  registerPluginCommands(program);
}
