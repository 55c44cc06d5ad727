import type { z } from 'zod';
import { type CallOptions, TendError } from '../spi/index.js';
import type { JsonRpcClient } from './json-rpc-client.js';
import { describeIssues } from './json-rpc-dispatcher.js';

/** Calls a method and checks the result against its wire schema: a plugin's answer is untrusted input. */
export async function callChecked<S extends z.ZodType>(
  client: JsonRpcClient,
  method: string,
  params: Record<string, unknown>,
  schema: S,
  options: CallOptions = {},
): Promise<z.infer<S>> {
  const raw = await client.call(method, params, options);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new TendError(
      'internal',
      `plugin ${client.pluginName}: invalid answer to ${method}: ${describeIssues(parsed.error, 'result')}`,
      { details: { plugin: client.pluginName, method } },
    );
  }
  return parsed.data;
}

/** InfraKit's `{OK: false}` without an error means "rejected"; treat it as a spec problem. */
/** Calls a method whose answer is `{OK}`: an `OK=false` is the plugin refusing, `invalid_spec`. */
export async function callForOk<S extends z.ZodType<{ OK?: boolean | null | undefined }>>(
  client: JsonRpcClient,
  method: string,
  params: Record<string, unknown>,
  schema: S,
  options: CallOptions = {},
): Promise<void> {
  requireOk(client, method, await callChecked(client, method, params, schema, options));
}

function requireOk(client: JsonRpcClient, method: string, result: { OK?: boolean | null | undefined }): void {
  if (result.OK === false) {
    throw new TendError('invalid_spec', `plugin ${client.pluginName}: ${method} answered OK=false`, {
      details: { plugin: client.pluginName, method },
    });
  }
}

/** Adds `"Type"` when the plugin was named `lookup/type`. */
export function typed(type: string | undefined, params: Record<string, unknown>): Record<string, unknown> {
  return type === undefined ? params : { Type: type, ...params };
}
