import type { Clock } from '../../../lib/index.js';
import { TendError } from '../../../spi/index.js';

/** After SIGKILL only an uninterruptible sleep can delay the end; past this, say so. */
const killWaitMs = 5000;
const checkEveryMs = 25;

/**
 * SIGTERM to the whole process group (the init script and everything it started), SIGKILL to it
 * after `graceMs`. Resolves once the group leader has ended.
 */
export async function terminateGroup(options: {
  id: string;
  pid: number;
  isAlive: () => Promise<boolean>;
  graceMs: number;
  clock: Clock;
  signal?: AbortSignal;
}): Promise<void> {
  const { id, pid } = options;
  signalGroup(id, pid, 'SIGTERM');
  if (await waitForEnd(options, options.graceMs)) return;
  signalGroup(id, pid, 'SIGKILL');
  if (await waitForEnd(options, killWaitMs)) return;
  throw new TendError('unavailable', `process plugin: destroy: ${id} (pid ${pid}) survived SIGKILL`);
}

async function waitForEnd(
  options: { id: string; isAlive: () => Promise<boolean>; clock: Clock; signal?: AbortSignal },
  withinMs: number,
): Promise<boolean> {
  const deadline = options.clock.now() + withinMs;
  for (;;) {
    if (!(await options.isAlive())) return true;
    const left = deadline - options.clock.now();
    if (left <= 0) return false;
    try {
      await options.clock.sleep(Math.min(checkEveryMs, left), options.signal);
    } catch (error) {
      throw new TendError('timeout', `process plugin: destroy of ${options.id} aborted`, { cause: error });
    }
  }
}

function signalGroup(id: string, pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return;
    throw new TendError(
      'unavailable',
      `process plugin: destroy: cannot send ${signal} to ${id} (pid ${pid})`,
      {
        cause: error,
      },
    );
  }
}
