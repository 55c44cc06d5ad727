import type { Command } from 'commander';
import { printJson, printLine } from '../output.js';
import { cliAuthor, clientFor, outputOf, withManager } from './connection.js';
import { phaseText, shortConfig } from './render.js';

export function registerRolloutCommands(program: Command): void {
  const rollout = program.command('rollout').description("watch and steer a group's rolling update");

  withManager(rollout.command('status').description('show rollout progress').argument('<group>')).action(
    async (group: string, _options: unknown, command: Command) => {
      const view = await clientFor(command).group(group);
      const status = view.status;
      if (outputOf(command) === 'json') {
        printJson({ id: group, phase: status?.phase ?? null, rollout: status?.rollout ?? null });
        return;
      }
      if (status === null) {
        printLine(`${group}: unknown (no leader could be asked)`);
        return;
      }
      const r = status.rollout;
      if (r === undefined || r.state === 'done') {
        printLine(
          `${group}: no rollout in progress (${phaseText(status)}, config ${shortConfig(status.config)})`,
        );
        return;
      }
      printLine(`${group}: rollout ${r.state}, ${r.updated}/${r.total} updated`);
      printLine(
        `  from ${shortConfig(r.fromConfig)} to ${shortConfig(r.toConfig)}, started ${new Date(r.startedAt).toISOString()}`,
      );
      if (r.reason !== undefined) printLine(`  reason: ${r.reason}`);
    },
  );

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
