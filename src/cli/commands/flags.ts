import { DURATION_HINT, parseDuration as parseDurationText } from '../../lib/index.js';
import { TendError } from '../../spi/index.js';

/**
 * `--timeout` and the like, in the spec's grammar (`90s`, `10m`, `1h30m`); a flag may also be
 * bare digits, read as milliseconds (as the spec's YAML numbers are).
 */
export function parseDuration(text: string, flag = '--timeout'): number {
  const trimmed = text.trim();
  const ms = parseDurationText(/^\d+$/.test(trimmed) ? Number(trimmed) : trimmed);
  if (ms === undefined)
    throw new TendError('invalid_spec', `${flag}: expected ${DURATION_HINT}, got ${text}`);
  return ms;
}

/** A whole number ≥ `min` for a flag like `--limit`; anything else is an error naming the flag. */
export function parseCount(text: string, flag: string, min = 1): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new TendError('invalid_spec', `${flag}: expected a whole number of at least ${min}, got ${text}`);
  }
  return value;
}
