import { setTimeout as sleep } from 'node:timers/promises';
import { TendError, toTendError } from '../../spi/index.js';
import { printLine } from '../output.js';

/** On a terminal: home the cursor and clear, then the frame. In a pipe, frames follow one another. */
export const CLEAR_SCREEN = '\x1b[H\x1b[2J';

export function draw(lines: readonly string[], tty: boolean): void {
  if (tty) printLine(`${CLEAR_SCREEN}${lines.join('\n')}`);
  else for (const line of [...lines, '']) printLine(line);
}

/**
 * `--watch [N]`: seconds between redraws (`5`, or a duration such as `500ms`), 2 s when the flag
 * is given bare; undefined when it is absent.
 */
export async function watchInterval(value: string | boolean | undefined): Promise<number | undefined> {
  if (value === undefined || value === false) return undefined;
  if (value === true) return 2000;
  // The duration grammar lives in lib/, which loads the logger: only for `--watch 500ms`.
  const ms = /^\d+(\.\d+)?$/.test(value.trim())
    ? Math.round(Number(value) * 1000)
    : (await import('./flags.js')).parseDuration(value, '--watch');
  if (!(ms >= 100))
    throw new TendError('invalid_spec', `--watch: expected at least 100ms between redraws, got ${value}`);
  return ms;
}

/**
 * Runs `frame` every `intervalMs` until Ctrl-C (or `signal`), clearing the terminal before each
 * (`clear`: false for structured output, whose documents simply follow one another). A failed
 * frame (manager away) prints its error and the next one tries again.
 */
export async function redrawEvery(
  intervalMs: number,
  frame: () => Promise<void>,
  options: { clear: boolean; signal?: AbortSignal } = { clear: process.stdout.isTTY === true },
): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  options.signal?.addEventListener('abort', onSignal, { once: true });
  try {
    while (!stop.signal.aborted) {
      if (options.clear) process.stdout.write(CLEAR_SCREEN);
      try {
        await frame();
      } catch (error) {
        printLine(`tend: ${toTendError(error).message}; trying again in ${intervalMs / 1000}s`);
      }
      await sleep(intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    process.off('SIGINT', onSignal);
    options.signal?.removeEventListener('abort', onSignal);
  }
}
