/**
 * Colour only for people: stdout is a terminal, `NO_COLOR` is unset or empty (no-color.org), and
 * the terminal is not `dumb`. `FORCE_COLOR=1` turns it on for a pipe (tests, `less -R`).
 */
export function colourEnabled(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(text: string, colour: Colour, enabled = colourEnabled()): string {
  return enabled ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

/** A stable colour per index, for telling prefixed sources apart (`tend logs GROUP`). */
const CYCLE: readonly Colour[] = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'red'];
export function colourAt(index: number): Colour {
  return CYCLE[index % CYCLE.length] ?? 'cyan';
}
