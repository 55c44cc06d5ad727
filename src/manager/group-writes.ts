/**
 * The manager's write queues, one per group: writes to one group run one at a time in arrival
 * order (two commits for a group never interleave), writes to different groups side by side. A
 * long `destroy` of one group (attempts with backoff) therefore never holds `pause` — the
 * emergency brake — or any write of another group.
 *
 * A write that touches several groups (an `apply` of a document with many) waits for the earlier
 * work of each of them and holds all of them while it runs. Its place in every queue is taken
 * when it arrives, in one synchronous step, so two such writes cannot wait on each other.
 */
export class GroupWrites {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(groups: readonly string[], task: () => Promise<T>): Promise<T> {
    const keys = [...new Set(groups)];
    const earlier = Promise.all(keys.map((key) => this.tails.get(key)));
    const result = earlier.then(task);
    // The queue must keep going after a failed task; the caller still sees the rejection.
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    for (const key of keys) this.tails.set(key, settled);
    // A group whose queue drained is forgotten: the map holds only groups with work in flight.
    void settled.then(() => {
      for (const key of keys) if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return result;
  }

  /** Groups with writes queued or running (tests and diagnostics). */
  get busy(): number {
    return this.tails.size;
  }
}
