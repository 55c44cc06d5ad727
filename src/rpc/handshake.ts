import { TendError } from '../spi/index.js';
import type { JsonRpcCallOptions, JsonRpcClient } from './json-rpc-client.js';
import { describeIssues } from './json-rpc-dispatcher.js';
import { handshakeResult } from './wire.js';

/**
 * `InstanceLogs` is Tend's extension (docs/protocol.md): a plugin that announces it answers
 * `Instance.Logs`. InfraKit clients ignore an API name they do not know.
 */
export type PluginApiName = 'Instance' | 'Flavor' | 'Group' | 'Manager' | 'Metadata' | 'InstanceLogs';

/** The versions InfraKit v0.5 clients check for (ARCHITECTURE.md §3). */
export const API_VERSIONS: Readonly<Record<PluginApiName, string>> = {
  Instance: '0.5.0',
  Flavor: '0.1.0',
  Group: '0.1.0',
  Manager: '0.1.0',
  Metadata: '0.1.0',
  InstanceLogs: '0.1.0',
};

/** True when `apis` announces `wanted` at the version this Tend speaks. */
export function hasApi(apis: readonly PluginApi[], wanted: PluginApiName): boolean {
  return apis.some((api) => api.name === wanted && api.version === API_VERSIONS[wanted]);
}

export const HANDSHAKE_METHOD = 'Handshake.Implements';
/** InfraKit v0.5's second handshake call: the types (`lookup/type` names) behind each API. */
export const HANDSHAKE_TYPES_METHOD = 'Handshake.Types';

export interface PluginApi {
  name: string;
  version: string;
}

/** The wire form of a handshake answer for the given APIs. */
export function implementsResult(apis: readonly PluginApiName[]): {
  APIs: Array<{ Name: string; Version: string }>;
} {
  return { APIs: apis.map((name) => ({ Name: name, Version: API_VERSIONS[name] })) };
}

/**
 * The wire form of a `Handshake.Types` answer: for each API as `Name/Version`, the types served
 * (`"."` for a plugin that serves one, untyped).
 */
export function typesResult(types: ReadonlyMap<PluginApiName, readonly string[]>): {
  Types: Record<string, string[]>;
} {
  const out: Record<string, string[]> = {};
  for (const [name, names] of types) out[`${name}/${API_VERSIONS[name]}`] = [...names];
  return { Types: out };
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
