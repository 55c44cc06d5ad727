import type { IncomingMessage, ServerResponse } from 'node:http';
import { type InstanceId, type InstancePlugin, TendError } from '../../spi/index.js';
import { HttpError } from './http-errors.js';

/**
 * `GET /v1/groups/:id/instances/:instance/logs?tail=N&since=T&follow=1` (README, CLI reference):
 * an instance's output through its group's instance plugin (`InstancePlugin.logs`). Without
 * `follow` the answer is JSON `{group, instance, text}`; with `follow=1` it is server-sent events,
 * `event: log` with `{"text": …}` for each new piece (the first one holds the tail), and
 * `event: error` with `{"error": {kind, message}}` before the stream ends on a failure.
 */
export interface LogsQuery {
  /** The last this many lines (all of the fetched window when absent). */
  tailLines?: number;
  /** ms since the epoch. */
  sinceMs?: number;
  follow: boolean;
}

/** Bytes asked of the plugin per read: a bound on every answer, whatever the log's size. */
export const LOGS_WINDOW_BYTES = 256 * 1024;
/** How often a followed log is read again. The SPI has no push for logs; a read is one file tail. */
export const LOGS_FOLLOW_INTERVAL_MS = 1000;
const MAX_TAIL_LINES = 100_000;
const HEARTBEAT_MS = 15_000;

export function parseLogsQuery(query: URLSearchParams): LogsQuery {
  const result: LogsQuery = { follow: false };
  const tail = query.get('tail');
  if (tail !== null) {
    if (!/^\d{1,9}$/.test(tail) || Number(tail) > MAX_TAIL_LINES) {
      throw new HttpError(
        400,
        'invalid_spec',
        `tail: ${JSON.stringify(tail.slice(0, 40))} is not a whole number of lines 0…${MAX_TAIL_LINES}`,
      );
    }
    result.tailLines = Number(tail);
  }
  const since = query.get('since');
  if (since !== null) {
    const ms = /^\d{1,15}$/.test(since) ? Number(since) : Date.parse(since);
    if (!Number.isFinite(ms)) {
      throw new HttpError(
        400,
        'invalid_spec',
        `since: ${JSON.stringify(since.slice(0, 40))} is neither an RFC 3339 time nor ms since the epoch`,
      );
    }
    result.sinceMs = ms;
  }
  const follow = query.get('follow');
  if (follow !== null && follow !== '0' && follow !== '1' && follow !== 'true' && follow !== 'false') {
    throw new HttpError(400, 'invalid_spec', 'follow: 1 or 0');
  }
  result.follow = follow === '1' || follow === 'true';
  return result;
}

export async function readLogs(
  plugin: InstancePlugin,
  instance: InstanceId,
  query: LogsQuery,
  signal?: AbortSignal,
): Promise<string> {
  if (plugin.logs === undefined) return '';
  const text = await plugin.logs(instance, {
    tailBytes: LOGS_WINDOW_BYTES,
    ...(query.sinceMs === undefined ? {} : { sinceMs: query.sinceMs }),
    ...(signal === undefined ? {} : { signal }),
  });
  return query.tailLines === undefined ? text : lastLines(text, query.tailLines);
}

export function lastLines(text: string, count: number): string {
  if (count === 0) return '';
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const lines = body.split('\n');
  if (lines.length <= count) return text;
  return `${lines.slice(-count).join('\n')}${text.endsWith('\n') ? '\n' : ''}`;
}

/**
 * What `next` adds to `previous`, two reads of the same growing log's tail window. While the
 * log fits the window, `next` starts with `previous`; once it slides, the last 4 KiB of
 * `previous` anchor the new part. Without an anchor (the log was truncated or grew by more than
 * a window between two reads) all of `next` is new.
 */
export function logDelta(previous: string, next: string): string {
  if (next.startsWith(previous)) return next.slice(previous.length);
  const anchor = previous.slice(-Math.min(4096, next.length));
  if (anchor === '') return next;
  const at = next.lastIndexOf(anchor);
  return at < 0 ? next : next.slice(at + anchor.length);
}

/** Streams a followed log as server-sent events until the client leaves or `signal` aborts. */
export async function followLogs(options: {
  request: IncomingMessage;
  response: ServerResponse;
  plugin: InstancePlugin;
  instance: InstanceId;
  query: LogsQuery;
  signal: AbortSignal;
  intervalMs?: number;
}): Promise<void> {
  const { request, response, plugin, instance, query } = options;
  const left = new AbortController();
  request.on('close', () => left.abort());
  const signal = AbortSignal.any([left.signal, options.signal]);
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  const send = (event: string, data: unknown) =>
    response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const heartbeat = setInterval(() => response.write(': keepalive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  try {
    let previous = await readLogs(plugin, instance, { follow: false }, signal);
    // `since` shapes the first piece only; later ones are what the log gained meanwhile.
    const first =
      query.sinceMs === undefined
        ? previous
        : await readLogs(plugin, instance, { ...query, follow: false }, signal);
    send('log', { text: query.tailLines === undefined ? first : lastLines(first, query.tailLines) });
    while (!signal.aborted) {
      await sleep(options.intervalMs ?? LOGS_FOLLOW_INTERVAL_MS, signal);
      if (signal.aborted) break;
      const next = await readLogs(plugin, instance, { follow: false }, signal);
      const delta = logDelta(previous, next);
      previous = next;
      if (delta !== '') send('log', { text: delta });
    }
  } catch (error) {
    if (!signal.aborted) {
      const kind = error instanceof TendError ? error.kind : 'internal';
      const message = error instanceof Error ? error.message : String(error);
      send('error', { error: { kind, message } });
    }
  } finally {
    clearInterval(heartbeat);
    response.end();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
