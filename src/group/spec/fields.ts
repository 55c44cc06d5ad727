import { z } from 'zod';
import { closestName, parseDuration } from '../../lib/index.js';
import type { JsonValue } from '../../spi/index.js';
import { describeValue, expectedGot } from './problems.js';

// Leaf schemas shared by Tend's and InfraKit's shapes. Each one sets its own message so users
// never see zod's default wording.

type Shape = Record<string, z.ZodType>;

/**
 * An object that rejects unknown keys. The message holds one line per unknown key, in the order
 * of the issue's `keys` (issuesToProblems splits them), with a "did you mean" when one is close.
 */
export function strictObject<S extends Shape>(shape: S, what = 'a map') {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => unknownKeyMessage(key, known)).join('\n');
      }
      if (issue.code === 'invalid_type') return expectedGot(what, issue.input);
      return undefined;
    },
  });
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const close = closestName(key, known);
  if (close !== undefined) return `unknown key (did you mean "${close}"?)`;
  return `unknown key (expected one of: ${known.join(', ')})`;
}

export function wholeNumber(min: number) {
  const what = `a whole number ≥ ${min}`;
  const error = (issue: { input?: unknown }) => expectedGot(what, issue.input);
  return z.number({ error }).int({ error }).min(min, { error });
}

/** What a spec's duration looks like; unlike a flag, a spec's duration needs its unit. */
export const SPEC_DURATION_HINT = 'a duration like "500ms", "30s", "10m" or "1h"';

/**
 * A duration in a spec: `500ms`, `30s`, `1h30m`, or a bare `0`. Any other bare number is refused:
 * `unhealthyAfter: 10` was once read as 10 ms, which nobody who wrote it meant.
 */
export function duration() {
  return z
    .unknown()
    .transform((input, ctx) => {
      const bare = bareNumber(input);
      if (bare !== undefined && bare !== 0) {
        ctx.addIssue({
          code: 'custom',
          input,
          message: `a duration needs a unit: write "${bare}s" or "${bare}ms" (or m, h), not a bare ${bare}`,
        });
        return z.NEVER;
      }
      const ms = bare === 0 ? 0 : parseDuration(input);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', input, message: expectedGot(SPEC_DURATION_HINT, input) });
        return z.NEVER;
      }
      return ms;
    })
    .optional();
}

/** A whole number ≥ 0 written without a unit (`10`, or `"10"` quoted), else undefined. */
function bareNumber(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isSafeInteger(input) && input >= 0 ? input : undefined;
  if (typeof input === 'string' && /^\s*\d{1,15}\s*$/.test(input)) return Number(input);
  return undefined;
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const what = `one of ${values.map((v) => `"${v}"`).join(', ')}`;
  return z.enum(values, { error: (issue) => expectedGot(what, issue.input) });
}

const NAME = /^[A-Za-z0-9._-]+$/;

export function groupIdField() {
  const what = 'a group ID of letters, digits, ".", "_" or "-"';
  return z
    .string({ error: (issue) => expectedGot(what, issue.input) })
    .refine((s) => NAME.test(s), { error: (issue) => expectedGot(what, issue.input) })
    .refine((s) => s !== '.' && s !== '..', { error: 'a group ID cannot be "." or ".."' });
}

const PLUGIN = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)?$/;

/** `name` or `lookup/type`; `known` (if given) rejects names no plugin answers to. */
export function pluginField(
  kind: 'instance' | 'flavor',
  known?: (kind: 'instance' | 'flavor', name: string) => boolean,
) {
  const what = `a plugin name like "${kind === 'instance' ? 'docker' : 'vanilla'}" or "lookup/type"`;
  return z
    .string({ error: (issue) => expectedGot(what, issue.input) })
    .refine((s) => PLUGIN.test(s), { error: (issue) => expectedGot(what, issue.input), abort: true })
    .refine((s) => known === undefined || known(kind, s), {
      error: (issue) => `unknown ${kind} plugin ${describeValue(issue.input)}`,
    });
}

/** A non-empty list of distinct, non-empty names; duplicates are named at their index. */
export function logicalIdList() {
  const item = z
    .string({ error: (issue) => expectedGot('a logical ID (a non-empty string)', issue.input) })
    .min(1, { error: 'expected a logical ID (a non-empty string), got ""' });
  return z
    .array(item, { error: (issue) => expectedGot('a list of logical IDs', issue.input) })
    .min(1, { error: 'expected at least one logical ID (use size: 0 for an empty group)' })
    .superRefine((ids, ctx) => {
      const seen = new Set<string>();
      ids.forEach((id, index) => {
        if (seen.has(id)) {
          ctx.addIssue({
            code: 'custom',
            path: [index],
            input: id,
            message: `duplicate logical ID ${JSON.stringify(id)}`,
          });
        }
        seen.add(id);
      });
    });
}

/** Limits how deep plugin properties may nest, so checking and hashing never exhaust the stack. */
const MAX_JSON_DEPTH = 64;

/** Plugin properties: any JSON value (YAML can say `.inf`, which JSON cannot carry). */
export function jsonField() {
  return z
    .unknown()
    .transform((input, ctx): JsonValue => {
      const result = toJson(input, [], 0);
      if ('problem' in result) {
        ctx.addIssue({ code: 'custom', input, path: result.path, message: result.problem });
        return z.NEVER;
      }
      return result.value;
    })
    .optional();
}

type JsonResult = { value: JsonValue } | { problem: string; path: (string | number)[] };

/** Validates and copies; the copy is made with own data properties only (a `__proto__` key stays a key). */
function toJson(value: unknown, path: (string | number)[], depth: number): JsonResult {
  if (depth > MAX_JSON_DEPTH) return { problem: `nested deeper than ${MAX_JSON_DEPTH} levels`, path };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return { value };
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { value } : { problem: `expected a finite number, got ${value}`, path };
  }
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = toJson(value[i], [...path, i], depth + 1);
      if ('problem' in item) return item;
      out.push(item.value);
    }
    return { value: out };
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    const entries: Array<[string, JsonValue]> = [];
    for (const [key, item] of Object.entries(value)) {
      const result = toJson(item, [...path, key], depth + 1);
      if ('problem' in result) return result;
      entries.push([key, result.value]);
    }
    return { value: Object.fromEntries(entries) };
  }
  return { problem: `expected a JSON value, got ${describeValue(value)}`, path };
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
