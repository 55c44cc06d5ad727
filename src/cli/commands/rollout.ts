import type { Command } from 'commander';
import { printLine, show } from '../output.js';
import { cliAuthor, clientFor, outputOf, withManager } from './connection.js';
import { registerRolloutStatusCommand } from './rollout-status.js';

export function registerRolloutCommands(program: Command): void {
  const rollout = program
    .command('rollout')
    .description("watch and steer a group's rolling update")
    .addHelpText(
      'after',
      `
Examples:
  tend rollout status hello          # follow to the end: exit 0 done, 1 failed or rolled back
  tend rollout pause hello           # stop acting; instances keep running
  tend rollout undo hello            # re-commit the previous revision`,
    );

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
        await show(outputOf(command), result, () => printLine(result.message));
      },
    );
  }
}
