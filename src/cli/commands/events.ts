import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { ManagerClient, SequencedEvent } from '../../api/index.js';
import { toTendError } from '../../spi/index.js';
import { printLine } from '../output.js';
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
      .option('--limit <n>', 'how many past events to show', '50'),
  ).action(async (options: EventsOptions, command: Command) => {
    const client = clientFor(command);
    const json = outputOf(command) === 'json';
    const filter = {
      ...(options.group === undefined ? {} : { group: options.group }),
      ...(options.instance === undefined ? {} : { instance: options.instance }),
    };
    const limit = parseCount(options.limit, '--limit');
    const { events } = await client.events(0, limit, filter);
    // No events and no such group is a typo, not silence (a destroyed group keeps its events).
    if (events.length === 0 && options.group !== undefined) await client.group(options.group);
    for (const event of events) printEvent(event, json);
    if (!options.follow) return;
    await follow(client, filter, events.at(-1)?.seq ?? 0, json);
  });
}

/** Streams until Ctrl-C; reconnects with the last seq seen, so nothing is printed twice. */
async function follow(
  client: ManagerClient,
  filter: { group?: string; instance?: string },
  after: number,
  json: boolean,
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
            printEvent(event, json);
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

function printEvent(event: SequencedEvent, json: boolean): void {
  if (json) {
    printLine(JSON.stringify(event)); // one object per line, for `jq` in a pipe
    return;
  }
  const at = new Date(event.at).toISOString().replace('T', ' ').slice(0, 19);
  const where = [event.groupId || '-', event.instanceId].filter((p) => p !== undefined).join('/');
  printLine(`${at}  ${event.type.padEnd(16)}  ${where}  ${event.message}`);
}
