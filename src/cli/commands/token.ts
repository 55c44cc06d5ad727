import { type Command, Option } from 'commander';
import { type Role, roles } from '../../api/index.js';
import { printLine, printTable, show } from '../output.js';
import { clientFor, outputOf, withManager } from './connection.js';

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('manage API bearer tokens (admin)');

  withManager(
    token
      .command('create')
      .description('create a token; its secret is shown once and never again')
      .argument('<name>')
      .addOption(new Option('--role <role>', 'what the token may do').choices(roles).default('viewer')),
  ).action(async (name: string, options: { role: Role }, command: Command) => {
    const created = await clientFor(command).createToken(name, options.role);
    await show(outputOf(command), created, () => {
      printLine(`token ${created.name} (${created.role}) created; keep it now, it is not shown again:`);
      printLine(created.token);
    });
  });

  withManager(token.command('ls').description('list tokens (names and roles, never secrets)')).action(
    async (_options: unknown, command: Command) => {
      const { tokens } = await clientFor(command).tokens();
      await show(outputOf(command), { tokens }, () =>
        printTable(
          ['NAME', 'ROLE', 'CREATED'],
          tokens.map((t) => [t.name, t.role, t.createdAt]),
        ),
      );
    },
  );

  withManager(
    token
      .command('revoke')
      .description('revoke a token; it is refused from the next request on')
      .argument('<name>'),
  ).action(async (name: string, _options: unknown, command: Command) => {
    const result = await clientFor(command).revokeToken(name);
    await show(outputOf(command), result, () => printLine(result.message));
  });
}
