/**
 * Runs tasks one at a time in arrival order. The manager's writes (apply, scale, destroy…) go
 * through one queue so two commits for the same group never interleave.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    // The queue must keep going after a failed task; the caller still sees the rejection.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
