import type { z } from 'zod';
import { TendError } from '../../spi/index.js';

/** One thing wrong with a spec: where (`groups[1].allocation.size`) and what. */
export interface SpecProblem {
  path: string;
  message: string;
  /** 1-based position in the source text, for syntax errors. */
  line?: number;
  column?: number;
}

/** The error message shows this many problems; `details.problems` keeps them all. */
const MAX_LISTED_PROBLEMS = 50;

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['groups', 1, 'allocation', 'size']` → `groups[1].allocation.size`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function joinPath(prefix: string, rest: string): string {
  if (prefix === '') return rest;
  if (rest === '') return prefix;
  return rest.startsWith('[') ? `${prefix}${rest}` : `${prefix}.${rest}`;
}

/** A short, human description of a value for "expected X, got Y" messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const quoted = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    return quoted;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `a ${typeof value}`;
}

/** `expected X, got Y`, or `required: expected X` when the key is missing. */
export function expectedGot(what: string, input: unknown): string {
  return input === undefined ? `required: expected ${what}` : `expected ${what}, got ${describeValue(input)}`;
}

/**
 * Turns zod issues into problems. Every schema in this folder sets its own message; the only
 * issue reshaped here is `unrecognized_keys`, whose message carries one line per key (see
 * `strictObject` in fields.ts) so each typo gets its own path.
 */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[], prefix: string): SpecProblem[] {
  const problems: SpecProblem[] = [];
  for (const issue of issues) {
    const base = joinPath(prefix, formatPath(issue.path as PathSegment[]));
    if (issue.code === 'unrecognized_keys') {
      const lines = issue.message.split('\n');
      issue.keys.forEach((key, i) => {
        problems.push({ path: joinPath(base, formatPath([key])), message: lines[i] ?? 'unknown key' });
      });
    } else {
      problems.push({ path: base, message: issue.message });
    }
  }
  return problems;
}

export function problemLine(problem: SpecProblem): string {
  return problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`;
}

/**
 * The single error every parser here throws: all problems, one per line. `what` names the kind of
 * document in the first line (`invalid plugin config in FILE:`); the kind stays `invalid_spec`.
 */
export function invalidSpec(problems: readonly SpecProblem[], source?: string, what = 'spec'): TendError {
  const lines = problems.slice(0, MAX_LISTED_PROBLEMS).map(problemLine);
  if (problems.length > MAX_LISTED_PROBLEMS) {
    lines.push(`… and ${problems.length - MAX_LISTED_PROBLEMS} more problems`);
  }
  if (source !== undefined) lines.unshift(`invalid ${what} in ${source}:`);
  const details: Record<string, unknown> = { problems: problems.map((p) => ({ ...p })) };
  if (source !== undefined) details.source = source;
  return new TendError('invalid_spec', lines.join('\n'), { details });
}
