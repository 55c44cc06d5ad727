import { TendError } from '../../spi/index.js';

/** `--timeout` and the like: `90s`, `10m`, `1h`, or milliseconds. */
export function parseDuration(text: string, flag = '--timeout'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null)
    throw new TendError('invalid_spec', `${flag}: expected a duration like 90s or 10m, got ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms'] ?? 1;
  return Number(match[1]) * unit;
}

/** A whole number ≥ `min` for a flag like `--limit`; anything else is an error naming the flag. */
export function parseCount(text: string, flag: string, min = 1): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new TendError('invalid_spec', `${flag}: expected a whole number of at least ${min}, got ${text}`);
  }
  return value;
}
