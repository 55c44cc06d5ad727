import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { ManagerClient, SequencedEvent } from '../../api/index.js';
import { toTendError } from '../../spi/index.js';
import { isStructured, type OutputFormat, printData, printLine } from '../output.js';
import { clientFor, outputOf, withManager } from './connection.js';
import { parseCount } from './flags.js';

interface EventsOptions {
  group?: string;
  instance?: string;
  follow: boolean;
  limit: string;
}

export function registerEventsCommand(program: Command): void {
  withManager(
    program
      .command('events')
      .description("show the manager's event log; --follow streams new events as they happen")
      .option('--group <group>', 'only this group')
      .option('--instance <id>', 'only this instance')
      .option('-f, --follow', 'keep printing new events (server-sent events)', false)
      .option('--limit <n>', 'how many past events to show', '50')
      .addHelpText(
        'after',
        `
Examples:
  tend events --group hello           # a group's events, with who applied, scaled, undid, destroyed
  tend events -f                      # and keep following
  tend -o wide events --limit 200     # with sequence numbers and authors`,
      ),
  ).action(async (options: EventsOptions, command: Command) => {
    const client = clientFor(command);
    const format = outputOf(command);
    const filter = {
      ...(options.group === undefined ? {} : { group: options.group }),
      ...(options.instance === undefined ? {} : { instance: options.instance }),
    };
    const limit = parseCount(options.limit, '--limit');
    const { events } = await client.events(0, limit, filter);
    // No events and no such group is a typo, not silence (a destroyed group keeps its events).
    if (events.length === 0 && options.group !== undefined) await client.group(options.group);
    // One look is one document, as every other command prints; a follow is a stream of records.
    if (!options.follow && isStructured(format)) {
      await printData({ events }, format);
      return;
    }
    if (!isStructured(format)) printLine(eventRow(format === 'wide', HEADER));
    const print = await eventPrinter(format);
    for (const event of events) print(event);
    if (!options.follow) return;
    await follow(client, filter, events.at(-1)?.seq ?? 0, print);
  });
}

/** Streams until Ctrl-C; reconnects with the last seq seen, so nothing is printed twice. */
async function follow(
  client: ManagerClient,
  filter: { group?: string; instance?: string },
  after: number,
  print: (event: SequencedEvent) => void,
): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let cursor = after;
  try {
    while (!stop.signal.aborted) {
      try {
        await client.stream({
          ...filter,
          after: cursor,
          signal: stop.signal,
          onEvent: (event) => {
            cursor = Math.max(cursor, event.seq);
            print(event);
          },
        });
      } catch (error) {
        if (stop.signal.aborted) break;
        process.stderr.write(`tend: event stream: ${toTendError(error).message}; reconnecting\n`);
      }
      await sleep(1000, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const HEADER = {
  time: 'TIME',
  type: 'TYPE',
  where: 'GROUP/INSTANCE',
  message: 'MESSAGE',
  seq: 'SEQ',
  by: 'BY',
};

/** How one event is printed in `format`; made once, so a follow prints in arrival order. */
async function eventPrinter(format: OutputFormat): Promise<(event: SequencedEvent) => void> {
  if (format === 'json') return (event) => printLine(JSON.stringify(event)); // one per line, for `jq`
  if (format === 'yaml') {
    const { stringify } = await import('yaml');
    return (event) => process.stdout.write(`---\n${stringify(event)}`);
  }
  return (event) => {
    const at = new Date(event.at).toISOString().replace('T', ' ').slice(0, 19);
    const where = [event.groupId || '-', event.instanceId].filter((p) => p !== undefined).join('/');
    const by = typeof event.data?.author === 'string' ? event.data.author : '-';
    const cells = { time: at, type: event.type, where, message: event.message, seq: String(event.seq), by };
    printLine(eventRow(format === 'wide', cells));
  };
}

/** Fixed widths, since a stream cannot be measured first; wide adds the sequence number and author. */
function eventRow(wide: boolean, cells: typeof HEADER): string {
  const seq = wide ? `${cells.seq.padStart(6)}  ` : '';
  const by = wide ? `${cells.by.padEnd(12)}  ` : '';
  return `${seq}${cells.time.padEnd(19)}  ${cells.type.padEnd(16)}  ${by}${cells.where}  ${cells.message}`;
}
