import { type FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type Logger, readFileIfExists, SerialQueue, silentLogger } from '../lib/index.js';
import type { GroupEvent, GroupEventType, GroupId, InstanceId, JsonValue } from '../spi/index.js';
import { type EventQuery, EventRing, type SequencedEvent } from './event-ring.js';

export interface EventLogOptions {
  /** Directory for `events-<name>.jsonl` (+ `.1`); in memory only when absent. */
  dir?: string | undefined;
  /** This manager's name: each manager keeps its own log, so two never append to one file. */
  name: string;
  /** How many events survive (in memory and on disk). */
  capacity: number;
  logger?: Logger;
}

export type EventListener = (event: SequencedEvent) => void;

/**
 * The durable, bounded event log. Events go to a JSON-lines segment; when it holds half the
 * capacity it becomes the `.1` segment (replacing the older one), so the disk holds between
 * capacity/2 and capacity events and a restart reloads them all. Sequence numbers continue
 * across restarts, so an `after` cursor stays meaningful.
 */
export class EventLog {
  private readonly ring: EventRing;
  private readonly listeners = new Set<EventListener>();
  private readonly log: Logger;
  private readonly file: string | undefined;
  private readonly segmentSize: number;
  private handle: FileHandle | undefined;
  private linesInSegment = 0;
  private nextSeq = 1;
  private readonly queue = new SerialQueue();

  private constructor(options: EventLogOptions) {
    this.ring = new EventRing({ capacity: options.capacity });
    this.log = (options.logger ?? silentLogger).child({ component: 'events' });
    const safeName = options.name.replace(/[^A-Za-z0-9._-]/g, '_');
    this.file = options.dir === undefined ? undefined : join(options.dir, `events-${safeName}.jsonl`);
    this.segmentSize = Math.max(1, Math.ceil(options.capacity / 2));
  }

  static async open(options: EventLogOptions): Promise<EventLog> {
    const log = new EventLog(options);
    if (options.dir !== undefined) await mkdir(options.dir, { recursive: true, mode: 0o700 });
    await log.load();
    return log;
  }

  push(event: GroupEvent): SequencedEvent {
    const stored: SequencedEvent = { ...event, seq: this.nextSeq++ };
    this.ring.add(stored);
    if (this.file !== undefined) this.enqueue(() => this.append(stored));
    for (const listener of this.listeners) {
      try {
        listener(stored);
      } catch (error) {
        this.log.warn('event listener failed', { error: String(error) });
      }
    }
    return stored;
  }

  query(query: EventQuery = {}): SequencedEvent[] {
    return this.ring.query(query);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for queued appends and closes the file. */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.queue.idle();
    await this.handle?.close();
    this.handle = undefined;
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue.run(task).catch((error: unknown) => {
      // The in-memory copy still serves readers; only the restart copy misses this event.
      this.log.warn('event not persisted', { error: String(error) });
    });
  }

  private async append(event: SequencedEvent): Promise<void> {
    const file = this.file;
    if (file === undefined) return;
    if (this.linesInSegment >= this.segmentSize) {
      await this.handle?.close();
      this.handle = undefined;
      await rename(file, `${file}.1`);
      this.linesInSegment = 0;
    }
    this.handle ??= await open(file, 'a', 0o600);
    await this.handle.appendFile(`${JSON.stringify(event)}\n`, 'utf8');
    this.linesInSegment += 1;
  }

  private async load(): Promise<void> {
    const file = this.file;
    if (file === undefined) return;
    const older = parseLines((await readFileIfExists(`${file}.1`)) ?? '');
    const current = parseLines((await readFileIfExists(file)) ?? '');
    for (const event of [...older, ...current]) {
      if (event.seq <= this.ring.lastSeq) continue; // keep the sequence strictly growing
      this.ring.add(event);
    }
    this.linesInSegment = current.length;
    this.nextSeq = this.ring.lastSeq + 1;
  }
}

/**
 * A stored event as far as readers rely on it. The file is a trust boundary (a crash tears a
 * line, a person edits it): a line that is not such an event is left out, not believed.
 */
const text = <T>() => z.custom<T>((value) => typeof value === 'string');
const storedEvent: z.ZodType<SequencedEvent> = z.object({
  seq: z.number(),
  // Kept as written: a newer manager's event types are still shown, not dropped.
  type: text<GroupEventType>(),
  groupId: text<GroupId>(),
  message: z.string(),
  at: z.number(),
  instanceId: text<InstanceId>().exactOptional(),
  data: z.record(z.string(), z.custom<JsonValue>()).exactOptional(),
});

function parseLines(text: string): SequencedEvent[] {
  return text.split('\n').flatMap((line) => {
    if (line === '') return [];
    try {
      const parsed = storedEvent.safeParse(JSON.parse(line));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return []; // a torn last line after a crash
    }
  });
}
