/**
 * The CLI's only door to stdout: a table for people (`wide` adds columns), one JSON or YAML
 * document for programs.
 */
export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'wide', 'json', 'yaml'];

export function parseOutputFormat(value: string): OutputFormat {
  const found = OUTPUT_FORMATS.find((f) => f === value);
  if (found !== undefined) return found;
  throw new Error(`--output: expected one of ${OUTPUT_FORMATS.join(', ')}, got "${value}"`);
}

/** JSON and YAML carry the same document; tables are for people. */
export function isStructured(format: OutputFormat): format is 'json' | 'yaml' {
  return format === 'json' || format === 'yaml';
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One document in `format`; the YAML printer is loaded only when asked for. */
export async function printData(value: unknown, format: 'json' | 'yaml'): Promise<void> {
  if (format === 'json') {
    printJson(value);
    return;
  }
  process.stdout.write(await toYaml(value));
}

/** YAML of a JSON-shaped value (what JSON.stringify would write: undefined fields left out). */
export async function toYaml(value: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(JSON.parse(JSON.stringify(value ?? null)) as unknown);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Rows as aligned text lines, the header first: columns padded to their widest cell. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [format(headers), ...rows.map(format)];
}

/** Prints rows as an aligned text table. */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  for (const line of formatTable(headers, rows)) printLine(line);
}

/** One compact JSON object per line (a stream of records, e.g. `tend up -o json`). */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** `value` as one document for `-o json|yaml`; otherwise `table` prints it for people (`wide`: more columns). */
export async function show(
  format: OutputFormat,
  value: unknown,
  table: (wide: boolean) => void | Promise<void>,
): Promise<void> {
  if (isStructured(format)) await printData(value, format);
  else await table(format === 'wide');
}
