import { createHash } from 'node:crypto';
import type { GroupSpec, JsonValue } from '../../spi/index.js';

/**
 * The `infrakit.config_sha` InfraKit v0.5's group plugin would tag on an instance of this spec
 * (`Spec.InstanceHash()` in pkg/plugin/group/types): SHA-1 over `stableFormat(Instance)` then
 * `stableFormat(Flavor)`, base32 (RFC 4648), lower-case, padding removed. `stableFormat` is Go's
 * `json.MarshalIndent(v, "  ", "  ")` of `{Plugin, Properties}` decoded into a map, so keys are
 * sorted and numbers went through float64. Computing it here is how Tend recognises instances
 * InfraKit made from the same instance and flavor sections, without asking the operator.
 */
export function infraKitConfigSha(spec: Pick<GroupSpec, 'instance' | 'flavor'>): string {
  const section = (ref: GroupSpec['instance']): JsonValue => ({
    Plugin: ref.plugin,
    Properties: ref.properties ?? null,
  });
  const sha = createHash('sha1')
    .update(goIndentedJson(section(spec.instance), '  ', '  ', 0))
    .update(goIndentedJson(section(spec.flavor), '  ', '  ', 0))
    .digest();
  return base32(sha).toLowerCase();
}

/** Go's `json.MarshalIndent(value, prefix, indent)` of a value decoded into `interface{}`. */
function goIndentedJson(value: JsonValue, prefix: string, indent: string, depth: number): string {
  if (value === null || typeof value !== 'object') return goScalar(value);
  const line = (level: number) => `\n${prefix}${indent.repeat(level)}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item) => line(depth + 1) + goIndentedJson(item, prefix, indent, depth + 1));
    return `[${items.join(',')}${line(depth)}]`;
  }
  // Go sorts map keys by their UTF-8 bytes (JavaScript's sort compares UTF-16 units).
  const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (keys.length === 0) return '{}';
  const members = keys.map(
    (key) =>
      `${line(depth + 1)}${goString(key)}: ${goIndentedJson(value[key] ?? null, prefix, indent, depth + 1)}`,
  );
  return `{${members.join(',')}${line(depth)}}`;
}

function goScalar(value: string | number | boolean | null): string {
  if (typeof value === 'string') return goString(value);
  // JSON.stringify picks the same shortest digits and the same switch to exponents (below 1e-6,
  // from 1e21) as Go's float encoder; only Go keeps the sign of a negative zero.
  if (typeof value === 'number' && Object.is(value, -0)) return '-0';
  return JSON.stringify(value);
}

/** Go's string encoding with HTML escaping on (Marshal's default) and Go < 1.22's `\u0008`/`\u000c`. */
function goString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (
      code < 0x20 ||
      char === '<' ||
      char === '>' ||
      char === '&' ||
      code === 0x2028 ||
      code === 0x2029
    )
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (Go's `base32.StdEncoding` with the `=` trimmed). */
function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let buffer = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}
