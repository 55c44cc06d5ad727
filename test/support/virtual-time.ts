// Driving code that sleeps on a VirtualClock from a test.
import type { VirtualClock } from '../../src/lib/index.js';

/** Runs `work` while moving the virtual clock on in 100 ms steps, until it settles. */
export async function onVirtualTime<T>(clock: VirtualClock, work: Promise<T>): Promise<T> {
  let settled = false;
  const watched = work.finally(() => {
    settled = true;
  });
  watched.catch(() => {});
  for (let i = 0; i < 1000 && !settled; i++) await clock.advance(100);
  return watched;
}
