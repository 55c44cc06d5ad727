import { TendError } from '../spi/index.js';
import type { JsonRpcCallOptions, JsonRpcClient } from './json-rpc-client.js';
import { describeIssues } from './json-rpc-dispatcher.js';
import { handshakeResult } from './wire.js';

/**
 * `InstanceLogs` is Tend's extension (docs/protocol.md): a plugin that announces it answers
 * `Instance.Logs`. InfraKit clients ignore an API name they do not know.
 */
export type PluginApiName =
  | 'Instance'
  | 'Flavor'
  | 'Group'
  | 'Manager'
  | 'Metadata'
  | 'Updatable'
  | 'InstanceLogs';

/** The versions InfraKit v0.5 clients check for (ARCHITECTURE.md §3); Tend's clients ask for these. */
export const API_VERSIONS: Readonly<Record<PluginApiName, string>> = {
  Instance: '0.5.0',
  Flavor: '0.1.0',
  Group: '0.1.0',
  Manager: '0.1.0',
  Metadata: '0.1.0',
  Updatable: '0.1.0',
  InstanceLogs: '0.1.0',
};

/**
 * Later versions served as well, announced beside the v0.5 one: `Group/0.1.1` is InfraKit HEAD's
 * (the same methods, each request with a `Name`), and costs nothing to answer.
 */
const ALSO_SERVED: Readonly<Partial<Record<PluginApiName, readonly string[]>>> = { Group: ['0.1.1'] };

/** Every `Name/Version` a server of `api` announces, oldest first. */
export function servedVersions(api: PluginApiName): string[] {
  return [API_VERSIONS[api], ...(ALSO_SERVED[api] ?? [])];
}

/** True when `apis` announces `wanted` at the version this Tend speaks. */
export function hasApi(apis: readonly PluginApi[], wanted: PluginApiName): boolean {
  return apis.some((api) => api.name === wanted && api.version === API_VERSIONS[wanted]);
}

export const HANDSHAKE_METHOD = 'Handshake.Implements';
/** InfraKit v0.5's second handshake call: the types (`lookup/type` names) behind each API. */
export const HANDSHAKE_TYPES_METHOD = 'Handshake.Types';
/** InfraKit HEAD's handshake: `{Objects: {"Group/0.1.1": [{Name, ProxyFor}]}}` (pkg/rpc/handshake.go). */
export const HANDSHAKE_HELLO_METHOD = 'Handshake.Hello';

export interface PluginApi {
  name: string;
  version: string;
}

/** The wire form of a handshake answer for the given APIs. */
export function implementsResult(apis: readonly PluginApiName[]): {
  APIs: Array<{ Name: string; Version: string }>;
} {
  return {
    APIs: apis.flatMap((name) => servedVersions(name).map((version) => ({ Name: name, Version: version }))),
  };
}

/**
 * The wire form of a `Handshake.Types` answer: for each API as `Name/Version`, the types served
 * (`"."` for a plugin that serves one, untyped).
 */
export function typesResult(types: ReadonlyMap<PluginApiName, readonly string[]>): {
  Types: Record<string, string[]>;
} {
  const out: Record<string, string[]> = {};
  for (const [name, names] of types)
    for (const version of servedVersions(name)) out[`${name}/${version}`] = [...names];
  return { Types: out };
}

/** The wire form of a `Handshake.Hello` answer: the same types, as InfraKit HEAD's objects. */
export function helloResult(types: ReadonlyMap<PluginApiName, readonly string[]>): {
  Objects: Record<string, Array<{ Name: string; ProxyFor: string }>>;
} {
  const objects: Record<string, Array<{ Name: string; ProxyFor: string }>> = {};
  for (const [key, names] of Object.entries(typesResult(types).Types))
    objects[key] = names.map((name) => ({ Name: name, ProxyFor: '' }));
  return { Objects: objects };
}

/** Asks a plugin what it implements. */
export async function handshake(
  client: JsonRpcClient,
  options: JsonRpcCallOptions = {},
): Promise<PluginApi[]> {
  const raw = await client.call(HANDSHAKE_METHOD, {}, options);
  const parsed = handshakeResult.safeParse(raw);
  if (!parsed.success) {
    throw new TendError(
      'internal',
      `plugin ${client.pluginName}: invalid ${HANDSHAKE_METHOD} answer: ${describeIssues(parsed.error, 'result')}`,
      { details: { plugin: client.pluginName } },
    );
  }
  return (parsed.data.APIs ?? []).map((api) => ({ name: api.Name, version: api.Version }));
}

/** Throws `invalid_spec` unless `apis` holds `wanted` at a version this Tend speaks, saying what it found. */
export function requireApi(pluginName: string, apis: readonly PluginApi[], wanted: PluginApiName): void {
  const expected = API_VERSIONS[wanted];
  const found = apis.filter((api) => api.name === wanted);
  if (found.some((api) => api.version === expected)) return;
  const all = apis.map((api) => `${api.name}/${api.version}`).join(', ') || 'nothing';
  const problem =
    found.length === 0
      ? `does not implement ${wanted} (it announces ${all})`
      : `implements ${found.map((api) => `${api.name}/${api.version}`).join(', ')}, but this Tend speaks ${wanted}/${expected}`;
  throw new TendError('invalid_spec', `plugin ${pluginName} ${problem}`, {
    details: { plugin: pluginName, wanted: `${wanted}/${expected}`, found: all },
  });
}
