import type { JsonValue } from '../spi/index.js';
import { API_VERSIONS, type PluginApiName, servedVersions } from './handshake.js';

/** Where InfraKit clients read a plugin's description (`infrakit <plugin> info api`). */
export const PLUGIN_INFO_PATH = '/info/api.json';
/** Where InfraKit clients read a plugin's template functions; Tend's plugins have none. */
export const PLUGIN_FUNCTIONS_PATH = '/info/functions.json';

interface MethodExample {
  params: JsonValue;
  result: JsonValue;
}

const spec = { Properties: null, Tags: {}, Init: '', LogicalID: null, Attachments: null };
const instance = { ID: '', LogicalID: null, Tags: {} };
const allocation = { Size: 0, LogicalIDs: null };

// The zero-valued request and answer of each method, as InfraKit's info page shows them: a reader
// sees the field names to send. The wire shapes themselves are in docs/protocol.md.
const EXAMPLES: Readonly<Record<string, MethodExample>> = {
  'Instance.Validate': { params: { Type: '', Properties: null }, result: { Type: '', OK: false } },
  'Instance.Provision': { params: { Type: '', Spec: spec }, result: { Type: '', ID: null } },
  'Instance.Label': { params: { Type: '', Instance: '', Labels: {} }, result: { Type: '', OK: false } },
  'Instance.Destroy': { params: { Type: '', Instance: '' }, result: { Type: '', OK: false } },
  'Instance.DescribeInstances': {
    params: { Type: '', Tags: {}, Properties: false },
    result: { Type: '', Descriptions: null },
  },
  'Instance.Logs': { params: { Type: '', Instance: '', TailBytes: 0 }, result: { Type: '', Text: '' } },
  'Flavor.Validate': {
    params: { Type: '', Properties: null, Allocation: allocation },
    result: { Type: '', OK: false },
  },
  'Flavor.Prepare': {
    params: {
      Type: '',
      Properties: null,
      Spec: spec,
      Allocation: allocation,
      Index: { Group: '', Sequence: 0 },
    },
    result: { Type: '', Spec: spec },
  },
  'Flavor.Healthy': {
    params: { Type: '', Properties: null, Instance: instance },
    result: { Type: '', Health: 0 },
  },
  'Flavor.Drain': {
    params: { Type: '', Properties: null, Instance: instance },
    result: { Type: '', OK: false },
  },
  'Group.CommitGroup': {
    params: { Spec: { ID: '', Properties: null }, Pretend: false },
    result: { Details: '' },
  },
  'Group.FreeGroup': { params: { ID: '' }, result: { OK: false } },
  'Group.DestroyGroup': { params: { ID: '' }, result: { OK: false } },
  'Group.DescribeGroup': {
    params: { ID: '' },
    result: { Description: { Instances: null, Converged: false } },
  },
  'Group.InspectGroups': { params: {}, result: { Groups: null } },
  'Group.DestroyInstances': { params: { ID: '', Instances: null }, result: { OK: false } },
  'Group.Size': { params: { ID: '' }, result: { Size: 0 } },
  'Group.SetSize': { params: { ID: '', Size: 0 }, result: { OK: false } },
  'Manager.IsLeader': { params: {}, result: { Leader: false } },
  'Metadata.List': { params: { Path: null }, result: { Nodes: null } },
  'Metadata.Get': { params: { Path: null }, result: { Value: null } },
  'Updatable.List': { params: { Path: null }, result: { Nodes: null } },
  'Updatable.Get': { params: { Path: null }, result: { Value: null } },
  'Updatable.Changes': { params: { Changes: null }, result: { Original: null, Proposed: null, Cas: '' } },
  'Updatable.Commit': { params: { Proposed: null, Cas: '' }, result: {} },
};

/** Group/0.1.1's requests add `Name` and its answers echo `Name` and `ID` (docs/protocol.md). */
function exampleFor(spec: { Name: PluginApiName; Version: string }, method: string): MethodExample {
  const example = EXAMPLES[method] ?? { params: {}, result: {} };
  if (spec.Name !== 'Group' || spec.Version === API_VERSIONS.Group) return example;
  const { OK: _ok, ...result } = example.result as Record<string, JsonValue>;
  return { params: { Name: '', ...(example.params as object) }, result: { Name: '', ID: '', ...result } };
}

/** The methods an API's announcement covers: `Instance.Logs` belongs to `InstanceLogs`. */
function belongsTo(api: PluginApiName, method: string): boolean {
  if (method === 'Instance.Logs') return api === 'InstanceLogs';
  return method.startsWith(`${api}.`);
}

/**
 * InfraKit's `plugin.Info` for `GET /info/api.json`: the APIs announced and, for each, its
 * methods with a zero-valued request and answer. `Vendor` is null: Tend's plugins name none.
 */
export function pluginInfo(apis: readonly PluginApiName[], methods: readonly string[]): JsonValue {
  const specs = apis.flatMap((name) =>
    servedVersions(name).map((version) => ({ Name: name, Version: version })),
  );
  return {
    Vendor: null,
    Implements: specs,
    Interfaces: specs.map((spec) => ({
      ...spec,
      Methods: methods
        .filter((method) => belongsTo(spec.Name, method))
        .map((method) => {
          const example = exampleFor(spec, method);
          return {
            Request: { jsonrpc: '2.0', method, params: example.params, id: '1' },
            Response: { result: example.result, id: '1' },
          };
        }),
    })),
  };
}
