// The one duration grammar (specs, flags): `500ms`, `30s`, `1h30m`, `1.5s`, or whole milliseconds.
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/**
 * `500ms`, `30s`, `10m`, `1h`, `1h30m`, `1.5s`, or a whole number of milliseconds.
 * Returns undefined for anything else (negative, fractional milliseconds, too large).
 */
export function parseDuration(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isSafeInteger(input) && input >= 0 ? input : undefined;
  if (typeof input !== 'string') return undefined;
  const text = input.trim();
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
  }
  // Round away float noise (`0.1s` is 100.00000000000001 ms) but refuse sub-millisecond values.
  const rounded = Math.round(total);
  if (Math.abs(total - rounded) > 1e-6 || !Number.isSafeInteger(rounded)) return undefined;
  return rounded;
}

/** The shortest exact form: 30000 → `30s`, 90000 → `1m30s`, 1500 → `1500ms`, 0 → `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0 && rest % 1000 === 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  if (rest > 0) out = out === '' ? `${rest}ms` : `${out}${rest}ms`;
  return out;
}

export const DURATION_HINT = 'a duration like "500ms", "30s", "10m", "1h" or a whole number of milliseconds';
