import { backoffDelay, type Clock, type Random } from '../../lib/index.js';
import { TendError } from '../../spi/index.js';
import type { LimiterLane, PluginLimiter } from './limiter.js';

/** Throttled calls are retried in place a few times; anything else waits for the next tick. */
const THROTTLE_RETRIES = 4;

/** What a limited call needs of its caller: the executor's context, or the describe coalescer's. */
export interface LimitedCallContext {
  limiter: PluginLimiter;
  clock: Clock;
  random: Random;
  signal: AbortSignal;
}

/**
 * A plugin call through the plugin's limiter, in `lane`'s turn, retried with backoff while the
 * plugin answers `throttled`; stopped as `not_leader` once `signal` aborts.
 */
export async function limitedCall<T>(
  ctx: LimitedCallContext,
  call: () => Promise<T>,
  lane: LimiterLane,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.limiter.run(call, ctx.signal, lane);
    } catch (error) {
      if (ctx.signal.aborted) throw new TendError('not_leader', 'controller stopped', { cause: error });
      if (!TendError.is(error, 'throttled') || attempt >= THROTTLE_RETRIES) throw error;
      await ctx.clock.sleep(
        backoffDelay(attempt, { baseMs: 200, capMs: 5_000, random: ctx.random }),
        ctx.signal,
      );
    }
  }
}
