import type { Command } from 'commander';
import { printJson, printLine } from '../output.js';
import { cliAuthor, clientFor, outputOf, withManager } from './connection.js';
import { registerRolloutStatusCommand } from './rollout-status.js';

export function registerRolloutCommands(program: Command): void {
  const rollout = program.command('rollout').description("watch and steer a group's rolling update");

  registerRolloutStatusCommand(rollout);

  for (const action of ['pause', 'resume', 'undo'] as const) {
    const description = {
      pause: 'stop acting on a group (its instances keep running)',
      resume: 'resume acting on a paused group',
      undo: 'go back to the previous revision (committed as a new one)',
    }[action];
    withManager(rollout.command(action).description(description).argument('<group>')).action(
      async (group: string, _options: unknown, command: Command) => {
        const author = cliAuthor();
        const result = await clientFor(command).rollout(group, action, {
          ...(author === undefined ? {} : { author }),
          reason: `tend rollout ${action} ${group}`,
        });
        if (outputOf(command) === 'json') printJson(result);
        else printLine(result.message);
      },
    );
  }
}
