import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../lib/index.js';
import { TendError } from '../../spi/index.js';
import { printLine, printTable, show } from '../output.js';
import { outputOf } from './connection.js';
import { configFile, loadConfig, namesOf } from './contexts.js';

export function registerContextCommands(program: Command): void {
  const context = program
    .command('context')
    .description('named managers (URL, token, CA) in $TEND_HOME/config.yaml')
    .addHelpText(
      'after',
      `
The file ($TEND_HOME/config.yaml):
  current: prod
  contexts:
    prod:  { manager: https://tend.example:7420, tokenFile: ~/.tend/prod.token, ca: prod-ca.pem }
    local: { manager: http://127.0.0.1:7420 }

Examples:
  tend context ls                 # the contexts, * marks the current one
  tend context use prod           # later commands talk to prod
  tend status --context local     # one command elsewhere (or TEND_CONTEXT=local)`,
    );

  context
    .command('ls')
    .description('list the contexts; * marks the current one')
    .action(async (_options: unknown, command: Command) => {
      const config = await loadConfig();
      const contexts = [...(config?.contexts.values() ?? [])].map((c) => ({
        ...c,
        current: c.name === config?.current,
        // The token itself is never printed: only where it comes from.
        token: c.token === undefined ? undefined : '(in the file)',
      }));
      await show(
        outputOf(command),
        { file: configFile(), current: config?.current ?? null, contexts },
        () => {
          if (contexts.length === 0) {
            printLine(`no contexts in ${configFile()} (see \`tend context --help\`)`);
            return;
          }
          printTable(
            ['CURRENT', 'NAME', 'MANAGER', 'TOKEN', 'CA'],
            contexts.map((c) => [
              c.current ? '*' : '',
              c.name,
              c.manager ?? '(default)',
              c.tokenFile ?? c.token ?? (c.manager === undefined ? '(admin.token)' : '-'),
              c.ca ?? '-',
            ]),
          );
        },
      );
    });

  context
    .command('use')
    .description('make a context the current one')
    .argument('<name>')
    .action(async (name: string) => {
      const file = configFile();
      const config = await loadConfig(file);
      if (config === undefined || !config.contexts.has(name)) {
        const has = config === undefined ? `there is no ${file}` : `${file} has ${namesOf(config)}`;
        throw new TendError('not_found', `no context named ${JSON.stringify(name)}: ${has}`);
      }
      // Edited as a YAML document, so the user's comments and layout stay.
      const { parseDocument } = await import('yaml');
      const document = parseDocument(await readFile(file, 'utf8'));
      document.set('current', name);
      await mkdir(dirname(file), { recursive: true });
      // The file may hold tokens: it keeps its mode.
      const { mode } = await stat(file);
      await writeFileAtomic(file, document.toString(), { mode: mode & 0o777 });
      printLine(`current context: ${name}`);
    });
}
