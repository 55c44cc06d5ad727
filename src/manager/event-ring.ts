import type { GroupEvent } from '../spi/index.js';

/** A recorded event with a sequence number, so readers can ask for "everything after N". */
export interface SequencedEvent extends GroupEvent {
  seq: number;
}

/**
 * The last `capacity` group events, in memory. The durable event log comes later; until then a
 * bounded ring keeps a long-running manager's memory flat.
 */
export class EventRing {
  private readonly capacity: number;
  private readonly items: SequencedEvent[] = [];
  private nextSeq = 1;

  constructor(options: { capacity?: number } = {}) {
    this.capacity = Math.max(1, options.capacity ?? 1000);
  }

  push(event: GroupEvent): SequencedEvent {
    const stored = { ...event, seq: this.nextSeq++ };
    this.items.push(stored);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
    return stored;
  }

  /** Events with `seq > after`, oldest first, at most `limit` (the newest ones). */
  since(after = 0, limit = this.capacity): SequencedEvent[] {
    const newer = this.items.filter((e) => e.seq > after);
    return newer.slice(Math.max(0, newer.length - limit));
  }
}
