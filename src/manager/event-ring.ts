import type { EventQuery, SequencedEvent } from '../api/index.js';

// A recorded event has a sequence number, so readers can ask for "everything after N".
export type { EventQuery, SequencedEvent };

/** The last `capacity` events in memory, oldest first; the durable copy is `EventLog`'s files. */
export class EventRing {
  private readonly capacity: number;
  private readonly items: SequencedEvent[] = [];

  constructor(options: { capacity?: number } = {}) {
    this.capacity = Math.max(1, options.capacity ?? 1000);
  }

  add(event: SequencedEvent): void {
    this.items.push(event);
    // Trim in chunks: splicing one item off the front per push is quadratic at 10,000 events.
    if (this.items.length > this.capacity + 256) this.items.splice(0, this.items.length - this.capacity);
  }

  get lastSeq(): number {
    return this.items.at(-1)?.seq ?? 0;
  }

  query(query: EventQuery = {}): SequencedEvent[] {
    const after = query.after ?? 0;
    const limit = Math.min(query.limit ?? this.capacity, this.capacity);
    const found: SequencedEvent[] = [];
    // Newest first, stopping at the cursor or the limit: cheap for "what is new since N".
    const oldest = Math.max(0, this.items.length - this.capacity);
    for (let i = this.items.length - 1; i >= oldest && found.length < limit; i--) {
      const event = this.items[i];
      if (event === undefined || event.seq <= after) break;
      if (query.group !== undefined && event.groupId !== query.group) continue;
      if (query.instance !== undefined && event.instanceId !== query.instance) continue;
      found.push(event);
    }
    return found.reverse();
  }
}
