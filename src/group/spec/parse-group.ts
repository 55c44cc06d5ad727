import { type GroupSpec, groupId, type JsonValue, logicalId, type PluginRef } from '../../spi/index.js';
import { invalidSpec, issuesToProblems, type SpecProblem } from './problems.js';
import {
  DEFAULTS,
  type IsKnownPlugin,
  type PolicySectionsParsed,
  type TendGroupInput,
  tendGroupSchema,
} from './schema.js';

export interface ParseGroupOptions {
  /** Rejects plugin names no plugin answers to; called with the name as written (`lookup/type`). */
  isKnownPlugin?: IsKnownPlugin;
  /** Named in the error's first line and details (a file name, "CommitGroup"…). */
  source?: string;
}

export type GroupParseResult = { ok: true; spec: GroupSpec } | { ok: false; problems: SpecProblem[] };

/** Validates one group in Tend's shape; problems carry `path` as their prefix (`groups[2]`). */
export function checkGroupObject(
  value: unknown,
  path: string,
  isKnownPlugin?: IsKnownPlugin,
): GroupParseResult {
  const result = tendGroupSchema(isKnownPlugin).safeParse(value, { reportInput: true });
  if (!result.success) return { ok: false, problems: issuesToProblems(result.error.issues, path) };
  const group = result.data;
  const allocation = toAllocation(group.allocation.logicalIds, group.allocation.size);
  return {
    ok: true,
    spec: {
      id: groupId(group.id),
      allocation,
      instance: pluginRef(group.instance.plugin, group.instance.properties),
      flavor: pluginRef(group.flavor.plugin, group.flavor.properties),
      ...resolvePolicies(group, allocation),
    },
  };
}

/** Parses one group object (already decoded from YAML/JSON) into its resolved form. */
export function parseGroupObject(value: unknown, path = '', options: ParseGroupOptions = {}): GroupSpec {
  const result = checkGroupObject(value, path, options.isKnownPlugin);
  if (!result.ok) throw invalidSpec(result.problems, options.source);
  return result.spec;
}

/** For code that builds a spec in Tend's input form: validates it and fills in the defaults. */
export function resolveGroupSpec(input: TendGroupInput, options: ParseGroupOptions = {}): GroupSpec {
  return parseGroupObject(input, '', options);
}

/** Both shapes validate "exactly one of" first; logical IDs win, as InfraKit reads them. */
export function toAllocation(
  logicalIds: readonly string[] | undefined,
  size: number | undefined,
): GroupSpec['allocation'] {
  return logicalIds !== undefined ? { logicalIds: logicalIds.map(logicalId) } : { size: size ?? 0 };
}

export function pluginRef(plugin: string, properties: JsonValue | undefined): PluginRef {
  return properties === undefined ? { plugin } : { plugin, properties };
}

/** Fills in every default; shared by Tend's and InfraKit's shapes. */
export function resolvePolicies(
  sections: PolicySectionsParsed | undefined,
  allocation: GroupSpec['allocation'],
): Pick<GroupSpec, 'health' | 'update' | 'scaleIn'> {
  const health = sections?.health;
  const update = sections?.update;
  const surgeDefaults = updateDefaults(allocation, update);
  return {
    health: {
      graceMs: health?.grace ?? DEFAULTS.health.graceMs,
      unhealthyAfterMs: health?.unhealthyAfter ?? DEFAULTS.health.unhealthyAfterMs,
      maxInFlight: health?.maxInFlight ?? DEFAULTS.health.maxInFlight,
    },
    update: {
      maxSurge: update?.maxSurge ?? surgeDefaults.maxSurge,
      maxUnavailable: update?.maxUnavailable ?? surgeDefaults.maxUnavailable,
      healthyForMs: update?.healthyFor ?? DEFAULTS.update.healthyForMs,
      timeoutMs: update?.timeout ?? DEFAULTS.update.timeoutMs,
      onFailure: update?.onFailure ?? DEFAULTS.update.onFailure,
    },
    scaleIn: { order: sections?.scaleIn?.order ?? DEFAULTS.scaleIn.order },
  };
}

/**
 * A logical ID names one member (an ensemble's `a`, `b`, `c`), usually with fixed ports or data
 * dirs, so two instances of one ID cannot run side by side: when the user sets neither
 * `maxSurge` nor `maxUnavailable`, such groups replace in place (surge 0, one member down at a
 * time). Size groups keep the surge-first default that never drops below size.
 */
function updateDefaults(
  allocation: GroupSpec['allocation'],
  update: { maxSurge?: number | undefined; maxUnavailable?: number | undefined } | undefined,
): { maxSurge: number; maxUnavailable: number } {
  const inPlace =
    'logicalIds' in allocation && update?.maxSurge === undefined && update?.maxUnavailable === undefined;
  return inPlace
    ? { maxSurge: 0, maxUnavailable: 1 }
    : { maxSurge: DEFAULTS.update.maxSurge, maxUnavailable: DEFAULTS.update.maxUnavailable };
}
