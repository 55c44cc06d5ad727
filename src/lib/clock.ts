/** Time as an injectable dependency, so loops and backoff can run on virtual time in tests. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A clock that moves only when told: `advance(ms)` fires every sleeper due by then, in order. */
export class VirtualClock implements Clock {
  private current: number;
  private sleepers: Array<{ at: number; seq: number; resolve: () => void }> = [];
  private seq = 0;
  private sleepWaiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(options: { start?: number } = {}) {
    this.current = options.start ?? 0;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const entry = { at: this.current + Math.max(0, ms), seq: this.seq++, resolve };
      this.sleepers.push(entry);
      this.wakeSleepWaiters();
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== entry);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Moves time forward, waking sleepers in due order and letting each one's continuation run. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.sleepers[0];
      if (next === undefined || next.at > target) break;
      this.sleepers.shift();
      this.current = next.at;
      next.resolve();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  /**
   * Resolves once at least `count` callers are asleep on this clock. A test that drives code doing
   * real I/O between its sleeps waits for this before each `advance`, so virtual time never runs
   * ahead of work still in flight however slow the machine is.
   */
  sleeping(count = 1): Promise<void> {
    if (this.sleepers.length >= count) return Promise.resolve();
    return new Promise<void>((resolve) => this.sleepWaiters.push({ count, resolve }));
  }

  private wakeSleepWaiters(): void {
    const ready = this.sleepWaiters.filter((w) => this.sleepers.length >= w.count);
    if (ready.length === 0) return;
    this.sleepWaiters = this.sleepWaiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  /** Time of the earliest pending sleeper, if any. */
  nextWake(): number | undefined {
    return this.sleepers.reduce<number | undefined>(
      (min, s) => (min === undefined || s.at < min ? s.at : min),
      undefined,
    );
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
