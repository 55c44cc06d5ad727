/**
 * Runs tasks one at a time per key, in arrival order, and tasks of different keys side by side:
 * the label calls of one instance (a read-modify-write of its record), the writes of one group.
 * The one promise queue of the code base.
 *
 * A task may hold several keys (an `apply` of a document with many groups): it waits for the
 * earlier work of each and holds all of them while it runs. Its place in every queue is taken
 * when it arrives, in one synchronous step, so two such tasks cannot wait on each other.
 * A failed task does not block the next one (its caller still sees the rejection); a key whose
 * queue drained is forgotten, so the map holds only keys with work in flight.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(keys: string | readonly string[], task: () => Promise<T>): Promise<T> {
    const held = typeof keys === 'string' ? [keys] : [...new Set(keys)];
    const result = Promise.all(held.map((key) => this.tails.get(key))).then(task);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    for (const key of held) this.tails.set(key, settled);
    void settled.then(() => {
      for (const key of held) if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves when the work queued so far under `key` has settled. */
  async idle(key: string): Promise<void> {
    await this.tails.get(key);
  }

  /** Keys with work queued or running (tests and diagnostics). */
  get busy(): number {
    return this.tails.size;
  }
}

/** One queue: tasks run one at a time in arrival order; a failure does not block the next. */
export class SerialQueue {
  private readonly serial = new KeyedSerial();

  run<T>(task: () => Promise<T>): Promise<T> {
    return this.serial.run('', task);
  }

  /** Resolves when everything queued so far has settled. */
  idle(): Promise<void> {
    return this.serial.idle('');
  }
}
