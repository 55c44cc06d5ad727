import { createHash } from 'node:crypto';
import type { GroupSpec, JsonValue } from '../../spi/index.js';

/**
 * The config hash tagged on every instance (`tend.config`). It covers only the instance and
 * flavor sections, so scaling or a policy change never starts a rollout; key order never matters.
 * Absent properties hash like `null`.
 */
export function configHash(spec: Pick<GroupSpec, 'instance' | 'flavor'>): string {
  const canonical = canonicalJson({
    instance: { plugin: spec.instance.plugin, properties: spec.instance.properties ?? null },
    flavor: { plugin: spec.flavor.plugin, properties: spec.flavor.properties ?? null },
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] ?? null)}`).join(',')}}`;
}
