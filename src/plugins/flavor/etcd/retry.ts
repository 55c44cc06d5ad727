import type { Clock, Logger } from '../../../lib/index.js';
import { TendError } from '../../../spi/index.js';

/**
 * Runs `step` again while it fails with `unavailable` (etcd's "not now"), for up to `waitMs`;
 * any other error, or the last `unavailable`, is thrown. Each attempt starts from a fresh member
 * list, so a remove that succeeded before an add was refused is not repeated.
 */
export async function retryWhileUnavailable<T>(
  step: () => Promise<T>,
  options: { clock: Clock; waitMs: number; logger: Logger; member: string; signal?: AbortSignal | undefined },
): Promise<T> {
  const { clock, waitMs, signal } = options;
  const deadline = clock.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      const left = deadline - clock.now();
      if (!TendError.is(error, 'unavailable') || left <= 0 || signal?.aborted === true) throw error;
      options.logger.debug('membership change refused for now, retrying', {
        member: options.member,
        attempt,
        error: error.message,
      });
      await clock.sleep(Math.min(250 * 2 ** Math.min(attempt, 2), left), signal);
    }
  }
}
