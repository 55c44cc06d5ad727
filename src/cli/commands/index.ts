import type { Command } from 'commander';
import { registerApplyCommands } from './apply.js';
import { registerEventsCommand } from './events.js';
import { registerHistoryCommand } from './history.js';
import { registerPluginCommands } from './plugin.js';
import { registerRemoveCommands } from './remove.js';
import { registerRolloutCommands } from './rollout.js';
import { registerScaleCommand } from './scale.js';
import { registerStatusCommands } from './status.js';
import { registerTokenCommands } from './token.js';
import { registerTopCommand } from './top.js';
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
  registerTokenCommands(program);
  registerEventsCommand(program);
  registerTopCommand(program);
}
