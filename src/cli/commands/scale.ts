import { type Command, InvalidArgumentError } from 'commander';
import { printJson, printLine } from '../output.js';
import { cliAuthor, clientFor, outputOf, withManager } from './connection.js';

export function registerScaleCommand(program: Command): void {
  withManager(
    program
      .command('scale')
      .description('change the size of a group (commits a new revision)')
      .argument('<group>')
      .argument('<size>', 'new size', parseSize)
      .option('--reason <text>', 'recorded in history'),
  ).action(async (group: string, size: number, options: { reason?: string }, command: Command) => {
    const author = cliAuthor();
    const result = await clientFor(command).scale(group, size, {
      ...(author === undefined ? {} : { author }),
      reason: options.reason ?? `tend scale ${group} ${size}`,
    });
    if (outputOf(command) === 'json') printJson(result);
    else printLine(`${result.message} (revision ${result.revision ?? '-'})`);
  });
}

function parseSize(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return Number(value);
}
