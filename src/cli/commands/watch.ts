import { setTimeout as sleep } from 'node:timers/promises';
import type { ManagerClient } from '../../api/index.js';
import { type GroupSummary, toTendError } from '../../spi/index.js';
import { groupLine } from './render.js';

export type WatchVerdict = 'done' | { failed: string } | undefined;

export interface WatchOptions {
  client: ManagerClient;
  print: (line: string) => void;
  signal: AbortSignal;
  /** Only these groups; all when absent. */
  groups?: readonly string[];
  /** Decides when watching ends; never, when absent. */
  until?: (statuses: readonly GroupSummary[]) => WatchVerdict;
  /** Also print the manager's events as they happen. */
  events?: boolean;
  /** Only events from this time on (ms since the epoch): `tend up` shows its own, not the log's past. */
  eventsSince?: number;
  /** Print nothing for a group until its controller has ticked once (no `blind` flash at start). */
  afterFirstTick?: boolean;
  intervalMs?: number;
}

/**
 * Prints a line whenever a group's summary changes, polling the manager's API. Polling (rather
 * than a stream) works the same against a leader, a standby and across a failover.
 */
export async function watchGroups(options: WatchOptions): Promise<WatchVerdict> {
  const last = new Map<string, string>();
  let eventCursor = 0;
  let epoch: number | undefined;
  let unreachable: string | undefined;
  while (!options.signal.aborted) {
    try {
      const status = await options.client.status();
      if (unreachable !== undefined) options.print(`${clock()}  manager reachable again`);
      unreachable = undefined;
      const groups = status.groups.filter(
        (g) => options.groups === undefined || options.groups.includes(g.id),
      );
      const width = Math.max(0, ...groups.map((g) => g.id.length));
      // Each leader numbers its events from 1: a new epoch means a new sequence to follow.
      if (status.leader?.epoch !== epoch) eventCursor = 0;
      epoch = status.leader?.epoch;
      if (options.events === true) eventCursor = await printEvents(options, eventCursor);
      for (const group of groups) {
        if (options.afterFirstTick === true && group.lastTickAt === undefined) continue;
        const line = groupLine(group, width);
        if (last.get(group.id) !== line) options.print(`${clock()}  ${line}`);
        last.set(group.id, line);
      }
      for (const id of [...last.keys()]) {
        if (!groups.some((g) => g.id === id)) {
          options.print(`${clock()}  ${id}  gone`);
          last.delete(id);
        }
      }
      const verdict = options.until?.(groups);
      if (verdict !== undefined) return verdict;
    } catch (error) {
      const message = toTendError(error).message;
      if (unreachable !== message) options.print(`${clock()}  ${message}`);
      unreachable = message;
    }
    await sleep(options.intervalMs ?? 500, undefined, { signal: options.signal }).catch(() => undefined);
  }
  return undefined;
}

async function printEvents(options: WatchOptions, after: number): Promise<number> {
  const { events } = await options.client.events(after);
  let cursor = after;
  for (const event of events) {
    const wanted = options.groups === undefined || options.groups.includes(event.groupId);
    if (wanted && (options.eventsSince === undefined || event.at >= options.eventsSince)) {
      const text = event.message.startsWith(event.type) ? event.message : `${event.type}: ${event.message}`;
      options.print(`${clock(event.at)}  ${event.groupId}  ${text}`);
    }
    cursor = event.seq;
  }
  return cursor;
}

function clock(at = Date.now()): string {
  return new Date(at).toTimeString().slice(0, 8);
}
