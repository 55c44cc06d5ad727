/**
 * Runs tasks one at a time per key (e.g. label calls of one instance, which read-modify-write its
 * record), tasks of different keys side by side. A failed task does not block the next one; a key
 * whose queue drained is forgotten, so the map holds only keys with work in flight.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(task);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, settled);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    }
  }
}
