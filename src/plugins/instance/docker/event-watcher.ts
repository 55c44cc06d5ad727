import type { Clock, Logger } from '../../../lib/index.js';
import { type InstanceEvent, instanceId, type Tags } from '../../../spi/index.js';
import { isInternalLabel } from './container-spec.js';

/** Engine actions that mean a container stopped or disappeared. */
export const GONE_ACTIONS = ['die', 'destroy', 'kill', 'oom', 'stop'] as const;

/** Opens the engine's event stream; `sinceSeconds` replays what happened while disconnected. */
export type OpenEventStream = (
  sinceSeconds: number | undefined,
  signal: AbortSignal,
) => Promise<AsyncIterable<Buffer | string>>;

export interface EventWatcherOptions {
  open: OpenEventStream;
  clock: Clock;
  logger: Logger;
  /** Reconnect backoff: full jitter over min(capMs, baseMs·2^attempt). */
  backoff?: { baseMs: number; capMs: number };
  random?: () => number;
  /**
   * Runs once per `gone` event before any listener hears of it, so that what listeners do next
   * (describe) already sees the change. Its failure is ignored: the event is delivered anyway.
   */
  settle?: (event: InstanceEvent) => Promise<void>;
}

type Listener = (event: InstanceEvent) => void;

/**
 * One engine event stream shared by every listener: opened on the first subscription, closed
 * with the last one or by `close()`. A dropped stream is reopened after a backoff delay taken from
 * the injected clock, asking the engine for the events since the last one seen, so a short outage
 * loses nothing (a duplicate "gone" is harmless: it only triggers a reconcile).
 */
export class EventWatcher {
  private readonly options: Required<EventWatcherOptions>;
  private readonly listeners = new Set<Listener>();
  private loop: { abort: AbortController; done: Promise<void> } | undefined;
  private readonly settling = new Set<Promise<void>>();
  private closed = false;

  constructor(options: EventWatcherOptions) {
    this.options = {
      backoff: { baseMs: 200, capMs: 30_000 },
      random: Math.random,
      settle: async () => {},
      ...options,
    };
  }

  subscribe(listener: Listener): () => void {
    if (this.closed) throw new Error('docker event watcher: subscribe after close');
    this.listeners.add(listener);
    if (this.loop === undefined) {
      const abort = new AbortController();
      this.loop = { abort, done: this.run(abort.signal) };
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) void this.stop();
    };
  }

  /** Ends the stream and waits for the loop to finish. */
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.stop();
  }

  private async stop(): Promise<void> {
    const loop = this.loop;
    this.loop = undefined;
    if (loop === undefined) return;
    loop.abort.abort();
    await loop.done;
    await Promise.allSettled([...this.settling]);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { clock, logger, backoff, random } = this.options;
    let attempt = 0;
    let sinceSeconds: number | undefined;
    while (!signal.aborted) {
      const connectedAt = clock.now();
      let delivered = false;
      try {
        const stream = await this.options.open(sinceSeconds, signal);
        // Until an event arrives, "since" is when we first connected.
        sinceSeconds ??= Math.floor(connectedAt / 1000);
        logger.debug('docker event stream open', { attempt });
        for await (const event of parseLines(stream, signal)) {
          delivered = true;
          if (typeof event.timeNano === 'number') sinceSeconds = event.timeNano / 1e9;
          const mapped = toInstanceEvent(event);
          if (mapped !== undefined) this.deliver(mapped);
        }
        if (!signal.aborted) logger.warn('docker event stream ended; reconnecting', { attempt });
      } catch (error) {
        if (signal.aborted) break;
        logger.warn('docker event stream failed; reconnecting', { attempt, error: String(error) });
      }
      if (signal.aborted) break;
      // A stream that worked for a while earns a fresh, short backoff.
      if (delivered || clock.now() - connectedAt >= backoff.capMs) attempt = 0;
      const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(attempt, 30));
      attempt += 1;
      try {
        await clock.sleep(Math.floor(random() * ceiling), signal);
      } catch {
        break;
      }
    }
  }

  private deliver(event: InstanceEvent): void {
    if (event.type !== 'gone') {
      this.emit(event);
      return;
    }
    const job = this.options
      .settle(event)
      .catch(() => {})
      .then(() => this.emit(event))
      .finally(() => this.settling.delete(job));
    this.settling.add(job);
  }

  private emit(event: InstanceEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.options.logger.error('instance event listener threw', { error: String(error) });
      }
    }
  }
}

interface RawEvent {
  Type?: unknown;
  Action?: unknown;
  Actor?: { ID?: unknown; Attributes?: unknown };
  timeNano?: unknown;
}

/**
 * Maps one engine event to Tend's. A `kill` with a signal other than KILL may be survived
 * (SIGHUP, a trapped SIGTERM), so it reports `changed`; the `die` that follows a real death
 * reports `gone`.
 */
export function toInstanceEvent(raw: RawEvent): InstanceEvent | undefined {
  if (raw.Type !== 'container' || typeof raw.Action !== 'string') return undefined;
  if (!(GONE_ACTIONS as readonly string[]).includes(raw.Action)) return undefined;
  const id = raw.Actor?.ID;
  if (typeof id !== 'string' || id === '') return undefined;
  const attributes = isStringRecord(raw.Actor?.Attributes) ? raw.Actor.Attributes : {};
  const tags: Record<string, string> = {};
  // Event attributes mix labels with name/image/exitCode; only Tend's own tags are passed on.
  for (const [key, value] of Object.entries(attributes)) {
    if ((key.startsWith('tend.') || key.startsWith('infrakit.')) && !isInternalLabel(key)) tags[key] = value;
  }
  const survivable = raw.Action === 'kill' && attributes.signal !== undefined && !isKill(attributes.signal);
  const event: InstanceEvent = { type: survivable ? 'changed' : 'gone', id: instanceId(id) };
  if (Object.keys(tags).length > 0) event.tags = tags as Tags;
  return event;
}

function isKill(signal: string): boolean {
  return signal === '9' || signal === 'KILL' || signal === 'SIGKILL';
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

/**
 * The engine sends one JSON object per line, split across chunks however the socket likes.
 * Stops at once when `signal` aborts, even if the source ignores the signal.
 */
async function* parseLines(
  stream: AsyncIterable<Buffer | string>,
  signal: AbortSignal,
): AsyncGenerator<RawEvent> {
  // A streaming decoder keeps a multi-byte character split across two chunks intact.
  const decoder = new TextDecoder();
  const iterator = stream[Symbol.asyncIterator]();
  const aborted = new Promise<IteratorResult<Buffer | string>>((resolve) => {
    if (signal.aborted) resolve({ value: undefined, done: true });
    signal.addEventListener('abort', () => resolve({ value: undefined, done: true }), { once: true });
  });
  let buffered = '';
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done === true || signal.aborted) return;
      const chunk = next.value;
      buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== '') {
          const parsed = parseJson(line);
          if (parsed !== undefined) yield parsed;
        }
        newline = buffered.indexOf('\n');
      }
    }
  } finally {
    // Releases the socket; not awaited, since a stuck source may never settle.
    iterator.return?.()?.catch(() => {});
  }
}

function parseJson(line: string): RawEvent | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as RawEvent) : undefined;
  } catch {
    return undefined;
  }
}
