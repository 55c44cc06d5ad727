#!/usr/bin/env node
// The `tend` command. Each file in commands/ registers one command (or family) on the program;
// only the one being run is loaded.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { registerCommands } from './commands/index.js';
import { OUTPUT_FORMATS, toYaml } from './output.js';

/** Exit codes (README, CLI reference): 0 done, 1 failed or refused, 2 the command line is wrong. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const program = new Command('tend')
  .description('Tend keeps groups of instances equal to their declared spec.')
  .version(version(), '-V, --version', 'print the version')
  .addOption(
    new Option('-o, --output <format>', 'output format (wide: more columns)')
      .choices(OUTPUT_FORMATS)
      .default('table'),
  )
  // One style for every error: `tend: …`, commander's own (unknown option, missing argument) too.
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'tend: ')) })
  .exitOverride()
  .showHelpAfterError();

await registerCommands(program, process.argv.slice(2));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and --version end this way too, with code 0; commander printed the error already.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
  } else {
    const message = await explain(error);
    const output = program.opts().output;
    if (output === 'json' || output === 'yaml') {
      const body = { error: { message, kind: errorKind(error) } };
      if (output === 'json') process.stdout.write(`${JSON.stringify(body)}\n`);
      else process.stdout.write(await toYaml(body));
    } else {
      console.error(`tend: ${message}`);
    }
    process.exitCode = EXIT_FAILED;
  }
}

function errorKind(error: unknown): string {
  return typeof error === 'object' && error !== null && 'kind' in error ? String(error.kind) : 'internal';
}

/** The error's message, with what the CLI knows that the server does not (where it looked for a token). */
async function explain(error: unknown): Promise<string> {
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { details?: { status?: unknown } } | null)?.details?.status;
  if (status !== 401) return message;
  const { tokenLookup, tokenPlaces } = await import('./commands/connection.js');
  return tokenLookup.found
    ? message
    : `${message}; the CLI found none in ${tokenLookup.places || tokenPlaces()}`;
}

function version(): string {
  // src/cli/main.ts from the sources, dist/src/cli/main.js when built.
  for (const path of ['../../package.json', '../../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (parsed.name === 'tend') return String(parsed.version ?? 'unknown');
    } catch {
      // not there; the next candidate
    }
  }
  return 'unknown';
}
