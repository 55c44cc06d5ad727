import type { FieldChange, JsonValue } from '../../spi/index.js';
import { formatPath, type PathSegment } from './problems.js';

/**
 * The fields that differ between two documents (Tend's stored form, `specToDocument`), leaf by
 * leaf, in the order of the new document and then the removed ones: `allocation.size: 2 → 3`,
 * `instance.properties.env.GREETING: "hello" → "bonjour"`. Lists are compared index by index.
 */
export function diffDocuments(from: JsonValue | undefined, to: JsonValue | undefined): FieldChange[] {
  const changes: FieldChange[] = [];
  walk(from, to, [], changes);
  return changes;
}

function walk(
  from: JsonValue | undefined,
  to: JsonValue | undefined,
  path: PathSegment[],
  out: FieldChange[],
): void {
  if (isMap(from) && isMap(to)) {
    const keys = [...Object.keys(to), ...Object.keys(from).filter((k) => !Object.hasOwn(to, k))];
    for (const key of keys) walk(valueAt(from, key), valueAt(to, key), [...path, key], out);
    return;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    for (let i = 0; i < Math.max(from.length, to.length); i++) walk(from[i], to[i], [...path, i], out);
    return;
  }
  if (sameJson(from, to)) return;
  out.push({
    path: formatPath(path),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  });
}

function isMap(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(map: { [key: string]: JsonValue }, key: string): JsonValue | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
