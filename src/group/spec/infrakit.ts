import { type GroupSpec, groupId, type JsonObject, type JsonValue } from '../../spi/index.js';
import { type GroupParseResult, pluginRef, resolvePolicies, toAllocation } from './parse-group.js';
import { invalidSpec, issuesToProblems } from './problems.js';
import { type IsKnownPlugin, infraKitGroupSchema } from './schema.js';
import { policiesToDocument } from './spec-to-document.js';

export interface InfraKitGroupOptions {
  isKnownPlugin?: IsKnownPlugin;
  source?: string;
}

export function fromInfraKitGroupChecked(value: unknown, isKnownPlugin?: IsKnownPlugin): GroupParseResult {
  const result = infraKitGroupSchema(isKnownPlugin).safeParse(value, { reportInput: true });
  if (!result.success) return { ok: false, problems: issuesToProblems(result.error.issues, '') };
  const { ID, Properties } = result.data;
  const allocation = toAllocation(Properties.Allocation.LogicalIDs, Properties.Allocation.Size);
  return {
    ok: true,
    spec: {
      id: groupId(ID),
      allocation,
      instance: pluginRef(Properties.Instance.Plugin, Properties.Instance.Properties),
      flavor: pluginRef(Properties.Flavor.Plugin, Properties.Flavor.Properties),
      ...resolvePolicies(Properties.Tend, allocation),
    },
  };
}

/**
 * Reads InfraKit's group shape (`Group.CommitGroup`):
 * `{"ID":"workers","Properties":{"Allocation":{"Size":5},"Instance":{…},"Flavor":{…}}}`.
 * Problems use InfraKit's paths (`Properties.Allocation.Size: …`).
 */
export function fromInfraKitGroup(value: unknown, options: InfraKitGroupOptions = {}): GroupSpec {
  const result = fromInfraKitGroupChecked(value, options.isKnownPlugin);
  if (!result.ok) throw invalidSpec(result.problems, options.source);
  return result.spec;
}

/** InfraKit's shape for `Group.InspectGroups`; Tend's policies travel under `Properties.Tend`. */
export function toInfraKitGroup(spec: GroupSpec): { ID: string; Properties: JsonObject } {
  const allocation: JsonObject =
    'logicalIds' in spec.allocation
      ? { LogicalIDs: [...spec.allocation.logicalIds] }
      : { Size: spec.allocation.size };
  const plugin = (ref: GroupSpec['instance']): JsonObject => {
    const out: JsonObject = { Plugin: ref.plugin };
    if (ref.properties !== undefined) out.Properties = ref.properties;
    return out;
  };
  const tend: JsonValue = policiesToDocument(spec);
  return {
    ID: spec.id,
    Properties: {
      Allocation: allocation,
      Instance: plugin(spec.instance),
      Flavor: plugin(spec.flavor),
      Tend: tend,
    },
  };
}
