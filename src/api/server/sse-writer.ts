/** What an SSE writer writes to: a `ServerResponse`, or a fake in tests. */
export interface SseSink {
  /** False when the data was buffered past the high-water mark: wait for `drain`. */
  write(chunk: string): boolean;
  readonly writableLength: number;
  once(event: 'drain', listener: () => void): unknown;
}

export interface SseWriterOptions {
  sink: SseSink;
  /** Called once when the reader stopped reading; the caller ends the stream. */
  onStalled: () => void;
  now?: () => number;
  /** Buffered bytes past which a reader that has not drained for `stallMs` is dropped. Default 4 MiB. */
  maxBufferedBytes?: number;
  /** Default 30 s. */
  stallMs?: number;
  /** Past this, dropped whatever else (a reader that drains a byte a minute). Default 64 MiB. */
  hardLimitBytes?: number;
}

/**
 * Writes one SSE stream so that a reader who keeps up is never dropped, however large one
 * message is (a status of 10,000 groups is ~5 MB, more than the 4 MiB a slow reader may hold):
 *
 * - a status is a snapshot, so while the socket has not drained the newest one waits and replaces
 *   any older one still waiting: a slow reader gets fewer statuses, never a growing pile of them;
 * - events are deltas and are written in order; a reader is dropped only when its buffer is past
 *   `maxBufferedBytes` *and* it has not drained for `stallMs` since the socket backed up (it
 *   stopped reading), or past
 *   `hardLimitBytes`.
 */
export class SseWriter {
  private readonly sink: SseSink;
  private readonly onStalled: () => void;
  private readonly now: () => number;
  private readonly maxBufferedBytes: number;
  private readonly stallMs: number;
  private readonly hardLimitBytes: number;
  private waitingForDrain = false;
  /** When the socket last backed up (a write returned false) without draining since. */
  private backedUpSince = 0;
  private pendingStatus: string | undefined;
  private stalled = false;

  constructor(options: SseWriterOptions) {
    this.sink = options.sink;
    this.onStalled = options.onStalled;
    this.now = options.now ?? (() => performance.now());
    this.maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.stallMs = options.stallMs ?? 30_000;
    this.hardLimitBytes = options.hardLimitBytes ?? 64 * 1024 * 1024;
  }

  /** An event or a comment: written now, in order. */
  event(chunk: string): void {
    if (this.stalled) return;
    if (this.isStalled()) {
      this.stalled = true;
      this.onStalled();
      return;
    }
    this.write(chunk);
  }

  /** A status snapshot: written now if the socket has room, else the newest waits for `drain`. */
  status(chunk: string): void {
    if (this.stalled) return;
    if (this.waitingForDrain) {
      this.pendingStatus = chunk;
      return;
    }
    this.write(chunk);
  }

  /**
   * A status delta: written now if nothing waits for `drain`, so the reader has every earlier
   * one; else the whole status `full` waits instead (replacing any waiting one) and the reader
   * starts over from it: deltas never pile up for a slow reader, and none is ever skipped.
   */
  statusDelta(delta: string, full: string): void {
    if (this.stalled) return;
    if (this.waitingForDrain || this.pendingStatus !== undefined) {
      this.pendingStatus = full;
      return;
    }
    this.write(delta);
  }

  private isStalled(): boolean {
    const buffered = this.sink.writableLength;
    if (buffered > this.hardLimitBytes) return true;
    return (
      this.waitingForDrain &&
      buffered > this.maxBufferedBytes &&
      this.now() - this.backedUpSince >= this.stallMs
    );
  }

  private write(chunk: string): void {
    if (this.sink.write(chunk) || this.waitingForDrain) return;
    this.waitingForDrain = true;
    this.backedUpSince = this.now();
    this.sink.once('drain', () => this.drained());
  }

  private drained(): void {
    this.waitingForDrain = false;
    const status = this.pendingStatus;
    this.pendingStatus = undefined;
    if (status !== undefined && !this.stalled) this.write(status);
  }
}
