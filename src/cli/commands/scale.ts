import { type Command, InvalidArgumentError } from 'commander';
import { printLine, show } from '../output.js';
import { cliAuthor, clientFor, outputOf, withManager } from './connection.js';

export function registerScaleCommand(program: Command): void {
  withManager(
    program
      .command('scale')
      .description('change the size of a group (commits a new revision)')
      .argument('<group>')
      .argument('<size>', 'new size', parseSize)
      .option('--reason <text>', 'recorded in history')
      .addHelpText(
        'after',
        `
Examples:
  tend scale hello 5                        # a new revision with size 5
  tend scale hello 0 --reason "off for the night"`,
      ),
  ).action(async (group: string, size: number, options: { reason?: string }, command: Command) => {
    const author = cliAuthor();
    const result = await clientFor(command).scale(group, size, {
      ...(author === undefined ? {} : { author }),
      reason: options.reason ?? `tend scale ${group} ${size}`,
    });
    await show(outputOf(command), result, () =>
      printLine(`${result.message} (revision ${result.revision ?? '-'})`),
    );
  });
}

function parseSize(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return Number(value);
}
