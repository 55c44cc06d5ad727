import type { Command } from 'commander';
import { type ContractCheckResult, verifyFlavorPlugin, verifyInstancePlugin } from '../../contract/index.js';
import {
  connectPlugin,
  handshake,
  JsonRpcClient,
  listPlugins,
  type PluginApi,
  pluginDir,
  RemoteFlavorPlugin,
  RemoteInstancePlugin,
  requireApi,
} from '../../rpc/index.js';
import { type JsonValue, TendError } from '../../spi/index.js';
import { printJson, printLine, printTable } from '../output.js';

/** A plugin that does not answer its handshake within this is listed as "not answering". */
const LS_HANDSHAKE_TIMEOUT_MS = 2_000;

function outputOf(command: Command): string {
  const { output } = command.optsWithGlobals<{ output?: string }>();
  return output ?? 'table';
}

function apiText(apis: readonly PluginApi[]): string {
  return apis.map((api) => `${api.name}/${api.version}`).join(', ') || '(none)';
}

function parseJsonOption(flag: string, text: string | undefined): JsonValue | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TendError('invalid_spec', `${flag}: not valid JSON (${reason}): ${text}`);
  }
}

export function registerPluginCommands(program: Command): void {
  const plugin = program.command('plugin').description('list and check plugins in the plugin directory');

  plugin
    .command('ls')
    .description('list plugin sockets and what each one implements')
    .action(async (_options: unknown, command: Command) => {
      const dir = pluginDir();
      const rows = await Promise.all(
        (await listPlugins(dir)).map(async (entry) => {
          const client = new JsonRpcClient({
            ...entry,
            pluginName: entry.name,
            timeoutMs: LS_HANDSHAKE_TIMEOUT_MS,
          });
          try {
            return { ...entry, answering: true, apis: await handshake(client) };
          } catch (error) {
            return {
              ...entry,
              answering: false,
              apis: [],
              error: error instanceof Error ? error.message : String(error),
            };
          } finally {
            client.close();
          }
        }),
      );
      if (outputOf(command) === 'json') {
        printJson({ dir, plugins: rows });
        return;
      }
      if (rows.length === 0) {
        printLine(`no plugins in ${dir}`);
        return;
      }
      printTable(
        ['NAME', 'SOCKET', 'APIS'],
        rows.map((r) => [r.name, r.socketPath, r.answering ? apiText(r.apis) : 'not answering']),
      );
    });

  plugin
    .command('verify')
    .description('run the plugin contract suite against a plugin socket')
    .argument('<name>', 'plugin name, NAME or NAME/TYPE')
    .option('--properties <json>', 'properties the plugin must accept')
    .option('--invalid-properties <json>', 'properties an instance plugin must reject')
    .option('--init <script>', 'boot script for instances the checks provision')
    .action(
      async (
        name: string,
        options: { properties?: string; invalidProperties?: string; init?: string },
        command: Command,
      ) => {
        const properties = parseJsonOption('--properties', options.properties);
        const invalidProperties = parseJsonOption('--invalid-properties', options.invalidProperties);
        const connected = await connectPlugin({ name });
        const results: ContractCheckResult[] = [];
        try {
          const served = connected.apis.filter((api) => api.name === 'Instance' || api.name === 'Flavor');
          if (served.length === 0) {
            throw new TendError(
              'invalid_spec',
              `plugin ${name} implements neither Instance nor Flavor (it announces ${apiText(connected.apis)})`,
            );
          }
          const typed = connected.type === undefined ? {} : { type: connected.type };
          for (const api of ['Instance', 'Flavor'] as const) {
            if (!served.some((s) => s.name === api)) continue;
            const started = performance.now();
            try {
              requireApi(name, connected.apis, api);
            } catch (error) {
              const message = error instanceof Error ? error.message : String(error);
              results.push({
                name: `handshake: ${api}`,
                ok: false,
                error: message,
                durationMs: performance.now() - started,
              });
              continue;
            }
            results.push({ name: `handshake: ${api}`, ok: true, durationMs: performance.now() - started });
            const client = connected.client;
            const checks =
              api === 'Instance'
                ? await verifyInstancePlugin(
                    new RemoteInstancePlugin({ client, ownsClient: false, ...typed }),
                    {
                      ...(properties === undefined ? {} : { properties }),
                      ...(invalidProperties === undefined ? {} : { invalidProperties }),
                      ...(options.init === undefined ? {} : { init: options.init }),
                    },
                  )
                : await verifyFlavorPlugin(
                    new RemoteFlavorPlugin({ client, ownsClient: false, ...typed }),
                    properties === undefined ? {} : { properties },
                  );
            results.push(...checks.map((c) => ({ ...c, name: `${api.toLowerCase()}: ${c.name}` })));
          }
        } finally {
          connected.client.close();
        }
        const failed = results.filter((r) => !r.ok).length;
        if (outputOf(command) === 'json') {
          printJson({
            plugin: name,
            socketPath: connected.socketPath,
            apis: connected.apis,
            ok: failed === 0,
            checks: results,
          });
        } else {
          printLine(`plugin ${name} at ${connected.socketPath}: ${apiText(connected.apis)}`);
          printTable(
            ['CHECK', 'RESULT', 'MS', 'ERROR'],
            results.map((r) => [
              r.name,
              r.skipped === true ? 'skip' : r.ok ? 'pass' : 'FAIL',
              r.durationMs.toFixed(1),
              r.error ?? '',
            ]),
          );
          printLine(
            failed === 0
              ? `all ${results.length} checks passed`
              : `${failed} of ${results.length} checks failed`,
          );
        }
        // Not a throw: the table is the report; the exit status tells scripts it failed.
        if (failed > 0) process.exitCode = 1;
      },
    );
}
