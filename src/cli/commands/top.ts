import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { ManagerClient, StatusView } from '../../api/index.js';
import type { GroupSummary } from '../../spi/index.js';
import { toTendError } from '../../spi/index.js';
import { formatTable, printLine } from '../output.js';
import { clientFor, outputOf, withManager } from './connection.js';
import { leaderText, phaseText, shortConfig } from './render.js';

export function registerTopCommand(program: Command): void {
  withManager(
    program
      .command('top')
      .description('a live view of groups and rollouts (redrawn in place on a terminal)')
      .option('--once', 'print one frame and exit', false),
  ).action(async (options: { once: boolean }, command: Command) => {
    const client = clientFor(command);
    const json = outputOf(command) === 'json';
    const show = (status: StatusView) => {
      if (json) printLine(JSON.stringify(status));
      else draw(frame(status), process.stdout.isTTY === true);
    };
    if (options.once) {
      show(await client.status());
      return;
    }
    await live(client, show);
  });
}

/** Follows the status stream until Ctrl-C; reconnects after a second when it breaks. */
async function live(client: ManagerClient, show: (status: StatusView) => void): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  try {
    while (!stop.signal.aborted) {
      try {
        await client.stream({ signal: stop.signal, onStatus: show });
      } catch (error) {
        if (stop.signal.aborted) break;
        printLine(`manager unreachable: ${toTendError(error).message}; retrying`);
      }
      await sleep(1000, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
}

function draw(lines: readonly string[], tty: boolean): void {
  // On a terminal: home the cursor, clear, redraw. In a pipe, frames follow one another.
  if (tty) printLine(`\x1b[H\x1b[2J${lines.join('\n')}`);
  else for (const line of [...lines, '']) printLine(line);
}

export function frame(status: StatusView, now = Date.now()): string[] {
  const rows = status.groups.map((g) => [
    g.id,
    `${g.healthy}/${g.desired}`,
    String(g.observed),
    shortConfig(g.config),
    phaseText(g),
    rolloutBar(g),
  ]);
  const headers = ['GROUP', 'HEALTHY', 'RUNNING', 'CONFIG', 'STATE', 'ROLLOUT'];
  return [
    `tend top — ${new Date(now).toTimeString().slice(0, 8)}  leader: ${leaderText(status.leader)}  (${status.self.name}, ${status.self.role})`,
    '',
    ...formatTable(headers, rows),
    ...(rows.length === 0 ? ['no groups'] : []),
  ];
}

function rolloutBar(group: GroupSummary): string {
  const r = group.rollout;
  if (r === undefined || r.state === 'done') return '-';
  const width = 20;
  const filled = r.total === 0 ? width : Math.round((r.updated / r.total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${r.updated}/${r.total} ${r.state}`;
}
