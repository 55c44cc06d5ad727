import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/index.js';
import type { GroupSummary } from '../../spi/index.js';
import type { EventQuery, SequencedEvent, StatusDelta, StatusView } from '../index.js';
import { SseWriter } from './sse-writer.js';

const HEARTBEAT_MS = 15_000;

/**
 * A new status: `full` as `GET /v1/status` answers it, and `delta` (JSON of `StatusDelta`)
 * against the status before it — absent for the first one a feed computes.
 */
export interface StatusUpdate {
  full: string;
  delta?: string;
}

export type StatusListener = (update: StatusUpdate) => void;

/**
 * One status computation per second for all stream readers, sent only when it changed: two
 * hundred dashboards must not mean two hundred status computations a second. Each change also
 * comes as a delta: the groups whose summary changed and those gone (readers that ask for
 * deltas get ~1 KB where the whole status of 1,000 groups is ~225 KB).
 */
export class StatusFeed {
  private readonly listeners = new Set<StatusListener>();
  /** The status as JSON. */
  private readonly compute: () => Promise<string>;
  private readonly intervalMs: number;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private last: string | undefined;
  /** Each group's summary JSON in `last`, by ID. */
  private lastGroups = new Map<string, string>();
  private running = false;

  constructor(options: { compute: () => Promise<string>; intervalMs?: number; logger: Logger }) {
    this.compute = options.compute;
    this.intervalMs = options.intervalMs ?? 1000;
    this.log = options.logger;
  }

  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    if (this.last !== undefined) listener({ full: this.last });
    else void this.poll();
    this.timer ??= setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.last = undefined;
    this.lastGroups = new Map();
  }

  private async poll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const json = await this.compute();
      if (json === this.last) return;
      const first = this.last === undefined;
      const { delta, groups } = statusDelta(json, this.lastGroups);
      this.last = json;
      this.lastGroups = groups;
      const update: StatusUpdate = first ? { full: json } : { full: json, delta };
      for (const listener of this.listeners) listener(update);
    } catch (error) {
      this.log.warn('status for stream failed', { error: String(error) });
    } finally {
      this.running = false;
    }
  }
}

/** The groups of a status JSON by ID, and the delta from `before` (JSON of `StatusDelta`). */
function statusDelta(json: string, before: ReadonlyMap<string, string>) {
  const { groups: list, ...rest } = JSON.parse(json) as StatusView;
  const groups = new Map<string, string>();
  const changed: GroupSummary[] = [];
  for (const group of list) {
    const one = JSON.stringify(group);
    groups.set(group.id, one);
    if (before.get(group.id) !== one) changed.push(group);
  }
  const removed = [...before.keys()].filter((id) => !groups.has(id));
  const delta: StatusDelta = { ...rest, changed, removed };
  return { delta: JSON.stringify(delta), groups };
}

/** The durable event log as the stream reads it: recent events, and new ones as they happen. */
export interface EventFeed {
  query(query: EventQuery): SequencedEvent[];
  /** Calls `listener` with every new event; the function returned ends that. */
  subscribe(listener: (event: SequencedEvent) => void): () => void;
}

export interface StreamOptions {
  events: EventFeed;
  status: StatusFeed;
  query: EventQuery;
  /**
   * `?status=delta`: after the first whole status, `event: status-delta` with only what changed
   * (`StatusDelta`); otherwise every status whole, as before.
   */
  statusDeltas?: boolean;
  /** Ends the stream (manager stopping). */
  signal: AbortSignal;
}

/**
 * `GET /v1/events/stream`: `event: group-event` (the GroupEvent JSON, `id` = its seq, so a
 * reconnecting EventSource resumes with `Last-Event-ID`) and `event: status` (every group's
 * summary, as `GET /v1/status`), then with `?status=delta` `event: status-delta` for each change.
 * A reader is dropped only when it stops reading (sse-writer.ts).
 */
export function serveEventStream(
  request: IncomingMessage,
  response: ServerResponse,
  options: StreamOptions,
): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.write('retry: 2000\n\n');
  const lastId = Number(request.headers['last-event-id']);
  const after = Number.isInteger(lastId) && lastId > 0 ? lastId : options.query.after;
  const matches = (event: SequencedEvent) =>
    (options.query.group === undefined || event.groupId === options.query.group) &&
    (options.query.instance === undefined || event.instanceId === options.query.instance);

  let closed = false;
  let unsubscribeEvents = () => {};
  let unsubscribeStatus = () => {};
  const writer = new SseWriter({ sink: response, onStalled: () => finish() });
  const sendEvent = (event: SequencedEvent) => {
    if (!closed && matches(event))
      writer.event(`id: ${event.seq}\nevent: group-event\ndata: ${JSON.stringify(event)}\n\n`);
  };
  if (after !== undefined)
    for (const event of options.events.query({ ...options.query, after })) sendEvent(event);
  unsubscribeEvents = options.events.subscribe(sendEvent);
  unsubscribeStatus = options.status.subscribe((update) => {
    if (closed) return;
    const full = `event: status\ndata: ${update.full}\n\n`;
    if (options.statusDeltas === true && update.delta !== undefined)
      writer.statusDelta(`event: status-delta\ndata: ${update.delta}\n\n`, full);
    else writer.status(full);
  });
  const heartbeat = setInterval(() => {
    if (!closed) writer.event(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  function finish(): void {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribeEvents();
    unsubscribeStatus();
    options.signal.removeEventListener('abort', finish);
    response.end();
  }
  options.signal.addEventListener('abort', finish, { once: true });
  request.on('close', finish);
  response.on('error', finish);
}
