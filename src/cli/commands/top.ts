import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { ManagerClient, StatusView } from '../../api/index.js';
import type { GroupSummary } from '../../spi/index.js';
import { toTendError } from '../../spi/index.js';
import { formatTable, printData, printLine } from '../output.js';
import { clientFor, outputOf, withManager } from './connection.js';
import { draw } from './redraw.js';
import { leaderText, phaseText, shortConfig } from './render.js';

export function registerTopCommand(program: Command): void {
  withManager(
    program
      .command('top')
      .description('a live view of groups and rollouts (redrawn in place on a terminal)')
      .option('--once', 'print one frame and exit', false)
      .addHelpText(
        'after',
        `
Keys: q (or Ctrl-C) quits.

Examples:
  tend top                    # live, redrawn in place
  tend top --once             # one frame, e.g. for a script or a pipe
  tend -o json top            # one JSON status per line as it changes`,
      ),
  ).action(async (options: { once: boolean }, command: Command) => {
    const client = clientFor(command);
    const format = outputOf(command);
    const show = (status: StatusView) => {
      if (format === 'json') printLine(JSON.stringify(status));
      else if (format === 'yaml') void printData(status, 'yaml');
      else draw(frame(status), process.stdout.isTTY === true);
    };
    if (format === 'yaml') await import('yaml'); // loaded before the first frame, so frames keep their order
    if (options.once) {
      show(await client.status());
      return;
    }
    await live(client, show);
  });
}

/** Follows the status stream until Ctrl-C or `q`; reconnects after a second when it breaks. */
async function live(client: ManagerClient, show: (status: StatusView) => void): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  const keys = quitOnKey(process.stdin, () => stop.abort());
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
    keys.release();
  }
}

/** Keys that end `top`: q, Q, and Ctrl-C (in raw mode the terminal sends it as a byte, not SIGINT). */
const QUIT_KEYS = new Set(['q', 'Q', '\u0003']);

export interface KeyInput {
  isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/**
 * Reads single keys from a terminal (raw mode) and calls `quit` on q or Ctrl-C. Not a terminal
 * (a pipe, a service): nothing is read, so stdin is left alone. `release` restores the terminal.
 */
export function quitOnKey(input: KeyInput, quit: () => void): { release: () => void } {
  if (input.isTTY !== true || input.setRawMode === undefined) return { release: () => {} };
  const onData = (chunk: Buffer | string) => {
    if ([...chunk.toString()].some((key) => QUIT_KEYS.has(key))) quit();
  };
  input.setRawMode(true);
  input.on('data', onData);
  input.resume();
  return {
    release: () => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
    },
  };
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
