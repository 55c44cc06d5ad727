import type { Logger } from '../../../lib/index.js';
import type { InstanceEvent, InstanceId } from '../../../spi/index.js';

type Listener = (event: InstanceEvent) => void;

/** What one look at the state dir found: instances alive, and those recorded but ended. */
export interface InstanceScan {
  live: ReadonlySet<InstanceId>;
  dead: ReadonlySet<InstanceId>;
}

/**
 * Tells listeners when an instance ends. Children of this plugin object report their own exit at
 * once (`notifyGone`); processes adopted from the state dir (started by an earlier manager) can
 * only be polled, which runs only while someone listens.
 */
export class InstanceWatcher {
  private readonly pollIntervalMs: number;
  private readonly scan: () => Promise<InstanceScan>;
  private readonly logger: Logger;
  private readonly listeners = new Set<Listener>();
  /** Believed alive, with the number of the scan running when it was tracked. */
  private readonly tracked = new Map<InstanceId, number>();
  /** Already reported, so a scan that read the state just before the exit does not revive it. */
  private readonly gone = new Set<InstanceId>();
  private scanSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;

  constructor(options: {
    pollIntervalMs: number;
    scan: () => Promise<InstanceScan>;
    logger: Logger;
  }) {
    this.pollIntervalMs = options.pollIntervalMs;
    this.scan = options.scan;
    this.logger = options.logger;
  }

  add(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.schedule(0);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) clearTimeout(this.timer);
    };
  }

  /** An instance this object just started. */
  track(id: InstanceId): void {
    if (!this.gone.has(id)) this.tracked.set(id, this.scanSeq);
  }

  notifyGone(id: InstanceId): void {
    if (this.gone.has(id)) return;
    this.tracked.delete(id);
    this.gone.add(id);
    for (const listener of [...this.listeners]) {
      try {
        listener({ type: 'gone', id });
      } catch (error) {
        this.logger.warn('watch listener failed', { instance: id, error: String(error) });
      }
    }
  }

  /** Stops polling and waits for a scan in flight; instances are left running. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.listeners.clear();
    await this.polling;
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.listeners.size === 0 || this.polling !== undefined) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        this.schedule(this.pollIntervalMs);
      });
    }, delayMs);
    // Deliberately not unref'd: a listener is waiting for events, and the children are unref'd so
    // they never hold the process open; without this nothing would keep the exit events coming.
  }

  private async poll(): Promise<void> {
    const seq = ++this.scanSeq;
    let scan: InstanceScan;
    try {
      scan = await this.scan();
    } catch (error) {
      this.logger.warn('watch scan failed', { error: String(error) });
      return;
    }
    const { live, dead } = scan;
    for (const id of this.gone) if (!live.has(id) && !dead.has(id)) this.gone.delete(id);
    // Dead with its state still on disk: it ended before any scan saw it alive.
    for (const id of dead) this.notifyGone(id);
    for (const [id, trackedAt] of this.tracked) {
      // An instance tracked while this scan ran may have been written after the scan looked.
      if (trackedAt < seq && !live.has(id)) this.notifyGone(id);
    }
    for (const id of live) if (!this.gone.has(id) && !this.tracked.has(id)) this.tracked.set(id, seq);
  }
}
