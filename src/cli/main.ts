#!/usr/bin/env node
// The `tend` command. Each file in commands/ registers one command (or family) on the program;
// only the one being run is loaded.
import { Command, Option } from 'commander';
import { registerCommands } from './commands/index.js';

const program = new Command('tend')
  .description('Tend keeps groups of instances equal to their declared spec.')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
  .showHelpAfterError();

await registerCommands(program, process.argv.slice(2));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  if (program.opts().output === 'json') {
    process.stdout.write(`${JSON.stringify({ error: { message, kind: errorKind(error) } })}\n`);
  } else {
    console.error(`tend: ${message}`);
  }
  process.exitCode = 1;
}

function errorKind(error: unknown): string {
  return typeof error === 'object' && error !== null && 'kind' in error ? String(error.kind) : 'internal';
}
