import type { Command } from 'commander';
import { printLine, show } from '../output.js';
import { cliAuthor, clientFor, outputOf, withManager } from './connection.js';

export function registerRemoveCommands(program: Command): void {
  withManager(
    program
      .command('destroy')
      .description('drain and destroy every instance of a group, then forget it')
      .argument('<group>'),
  ).action(async (group: string, _options: unknown, command: Command) => {
    const author = cliAuthor();
    const result = await clientFor(command).destroy(group, {
      ...(author === undefined ? {} : { author }),
      reason: `tend destroy ${group}`,
    });
    await show(outputOf(command), result, () => printLine(result.message));
  });

  withManager(
    program.command('free').description('forget a group and leave its instances running').argument('<group>'),
  ).action(async (group: string, _options: unknown, command: Command) => {
    const author = cliAuthor();
    const result = await clientFor(command).free(group, {
      ...(author === undefined ? {} : { author }),
      reason: `tend free ${group}`,
    });
    await show(outputOf(command), result, () => printLine(result.message));
  });
}
