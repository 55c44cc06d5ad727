import { TendError } from '../../spi/index.js';

export interface PreferLeaderOptions<T> {
  /**
   * Asks the leader; undefined when there is none to ask (none known, or this manager). Must
   * end when `signal` aborts: the signal is the whole wait, leader lookup included.
   */
  fromLeader: (signal: AbortSignal) => Promise<T | undefined>;
  /** This manager's own answer (from the store); itself bounded (see `Manager.status`). */
  local: () => Promise<T>;
  /** The longest the leader's answer is waited for. */
  waitMs: number;
  /** When the local answer starts if the leader has not answered by then. */
  hedgeMs: number;
}

/**
 * A read a standby could answer itself: the leader's live answer when it comes within `waitMs`,
 * else the standby's own. The local answer is started after `hedgeMs` (at once when asking the
 * leader fails), so a frozen leader and a paused store cost max(waitMs, hedgeMs + local) rather
 * than the sum of every wait in a row — which, at 200 + 350 + 250 ms plus a token check, left
 * no room for a loaded machine within `GET /v1/status`'s second (#10, fault campaign).
 */
export async function preferLeader<T>(options: PreferLeaderOptions<T>): Promise<T> {
  const controller = new AbortController();
  const deadline = setTimeout(
    () => controller.abort(new TendError('timeout', `the leader did not answer within ${options.waitMs} ms`)),
    options.waitMs,
  );
  let local: Promise<T> | undefined;
  const startLocal = (): Promise<T> => {
    if (local === undefined) {
      local = options.local();
      local.catch(() => undefined); // awaited only if the leader does not answer
    }
    return local;
  };
  const hedge = setTimeout(startLocal, options.hedgeMs);
  try {
    const answer = await options.fromLeader(controller.signal).catch(() => undefined);
    if (answer !== undefined) return answer;
    return await startLocal();
  } finally {
    clearTimeout(deadline);
    clearTimeout(hedge);
  }
}
