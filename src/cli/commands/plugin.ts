import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import {
  type ContractCheckResult,
  type InstanceContractOptions,
  verifyFlavorPlugin,
  verifyInstancePlugin,
} from '../../contract/index.js';
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
import { BuiltinPluginResolver, unknownPluginMessage } from '../builtin-plugins.js';
import { printLine, printTable, show } from '../output.js';
import { loadPluginConfig } from '../plugin-config/index.js';
import { outputOf } from './connection.js';
import type { PluginServeOptions } from './plugin-serve.js';
import { tendHome } from './up-backends.js';

/** A plugin that does not answer its handshake within this is listed as "not answering". */
const LS_HANDSHAKE_TIMEOUT_MS = 2_000;

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
  const plugin = program.command('plugin').description('list and check built-in plugins and plugin sockets');

  plugin
    .command('ls')
    .description('list the built-in plugins, the plugin sockets and what each one implements')
    .action(async (_options: unknown, command: Command) => {
      const dir = pluginDir();
      const names = namesOnly();
      const builtins = (['instance', 'flavor'] as const).flatMap((type) =>
        names.builtinNames(type).map((name) => ({ name, type })),
      );
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
      await show(outputOf(command), { dir, builtins, plugins: rows }, () => {
        printTable(
          ['NAME', 'WHERE', 'APIS'],
          [
            ...builtins.map((b) => [b.name, 'built in', b.type === 'instance' ? 'Instance' : 'Flavor']),
            ...rows.map((r) => [
              r.name,
              r.tcp === undefined ? r.socketPath : `tcp://${r.tcp.host}:${r.tcp.port} (${r.socketPath})`,
              r.answering ? apiText(r.apis) : 'not answering',
            ]),
          ],
        );
        if (rows.length === 0) printLine(`(no plugin sockets in ${dir})`);
      });
    });

  plugin
    .command('serve')
    .description(
      "run a built-in instance plugin or flavor as a standalone plugin on a socket of the plugin directory, in InfraKit's wire shapes",
    )
    .argument(
      '<name>',
      'a built-in (process, docker, simulator, vanilla, …) or a name --plugin-config configures',
    )
    .option('--name <socket>', 'socket name in the plugin directory (default: NAME)')
    .option('--plugin-config <file>', 'named built-in instance plugins with their own config')
    .option('--state-dir <dir>', 'state of the process plugin (default: $TEND_HOME/process)')
    .addOption(
      new Option('--log-level <level>', 'JSON logs on stderr')
        .choices(['debug', 'info', 'warn', 'error', 'silent'])
        .default('info'),
    )
    .action(async (name: string, options: PluginServeOptions) => {
      // Loaded only here: `plugin ls` and `verify` need none of the built-in plugins' code.
      const { servePluginCommand } = await import('./plugin-serve.js');
      await servePluginCommand(name, options);
    });

  plugin
    .command('verify')
    .description(
      'run the plugin contract suite against a built-in plugin, a plugin of --plugin-config, or a plugin socket',
    )
    .argument('<name>', 'plugin name, NAME or NAME/TYPE (`tend plugin ls` lists them)')
    .option(
      '--plugin-config <file>',
      'check the built-in plugin this file configures under NAME (e.g. hosts)',
    )
    .option('--properties <json>', 'properties the plugin must accept')
    .option('--invalid-properties <json>', 'properties an instance plugin must reject')
    .option('--init <script>', 'boot script for instances the checks provision')
    .option('--region <region>', 'ec2: AWS region (default: the SDK chain, AWS_REGION)')
    .option('--endpoint <url>', 'ec2: EC2 endpoint (default: the SDK chain, AWS_ENDPOINT_URL_EC2)')
    .option('--profile <name>', 'ec2: profile of the shared AWS config files (default: AWS_PROFILE)')
    .addHelpText(
      'after',
      `
Examples:
  tend plugin verify vanilla                       # a built-in flavor
  tend plugin verify process                       # a built-in instance plugin (in a scratch state dir)
  tend plugin verify etcd --properties '{"members":{"a":{"peerPort":2380,"clientPort":2379}}}'
  tend plugin verify my-cloud                      # a plugin socket in the plugin directory
  tend plugin verify ec2 --properties '{"imageId":"ami-…","instanceType":"t3.micro"}'   # costs money on AWS`,
    )
    .action(async (name: string, options: VerifyOptions, command: Command) => {
      const properties = parseJsonOption('--properties', options.properties);
      const invalidProperties = parseJsonOption('--invalid-properties', options.invalidProperties);
      const contract = {
        ...(properties === undefined ? {} : { properties }),
        ...(invalidProperties === undefined ? {} : { invalidProperties }),
        ...(options.init === undefined ? {} : { init: options.init }),
      };
      const report =
        options.pluginConfig !== undefined
          ? await verifyConfigured(name, options.pluginConfig, contract)
          : name === 'ec2'
            ? await verifyBuiltinEc2(options, contract)
            : ((await verifyBuiltin(name, contract)) ?? (await verifySocket(name, properties, contract)));
      const failed = report.results.filter((r) => !r.ok).length;
      await show(
        outputOf(command),
        { plugin: name, ...report.where, ok: failed === 0, checks: report.results },
        () => {
          printLine(report.heading);
          printTable(
            ['CHECK', 'RESULT', 'MS', 'ERROR'],
            report.results.map((r) => [
              r.name,
              r.skipped === true ? 'skip' : r.noted === true ? 'note' : r.ok ? 'pass' : 'FAIL',
              r.durationMs.toFixed(1),
              r.error ?? '',
            ]),
          );
          const noted = report.results.filter((r) => r.noted === true).length;
          const notes =
            noted === 0 ? '' : ` (${noted} with a note: what Tend could not check or works around)`;
          printLine(
            failed === 0
              ? `all ${report.results.length} checks passed${notes}`
              : `${failed} of ${report.results.length} checks failed${notes}`,
          );
        },
      );
      // Not a throw: the table is the report; the exit status tells scripts it failed.
      if (failed > 0) process.exitCode = 1;
    });
}

interface VerifyOptions {
  pluginConfig?: string;
  properties?: string;
  invalidProperties?: string;
  init?: string;
  region?: string;
  endpoint?: string;
  profile?: string;
}

interface VerifyReport {
  heading: string;
  where: Record<string, unknown>;
  results: ContractCheckResult[];
}

/**
 * The instance contract against the built-in ec2 plugin where it is configured to go (flags,
 * else the SDK's chain). It launches and terminates real instances there: on AWS that costs money.
 */
async function verifyBuiltinEc2(
  options: VerifyOptions,
  contract: InstanceContractOptions,
): Promise<VerifyReport> {
  if (contract.properties === undefined) {
    throw new TendError(
      'invalid_spec',
      `tend plugin verify ec2 needs --properties with at least an AMI and an instance type, e.g. '{"imageId":"ami-0123456789abcdef0","instanceType":"t3.micro"}'`,
    );
  }
  const { createEc2Plugin } = await import('../../plugins/instance/ec2/index.js');
  const connection = {
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  };
  const plugin = createEc2Plugin(connection);
  try {
    const results = await verifyInstancePlugin(plugin, contract);
    const where = options.endpoint ?? process.env.AWS_ENDPOINT_URL_EC2 ?? 'the SDK default endpoint';
    return {
      heading: `built-in plugin ec2 at ${where}`,
      where: { builtin: true, endpoint: where },
      results: results.map((c) => ({ ...c, name: `instance: ${c.name}` })),
    };
  } finally {
    await plugin.close();
  }
}

/**
 * The instance contract against the plugin a `--plugin-config` section configures, created in
 * this process as `tend up` would. It provisions and destroys real instances there (for `hosts`:
 * it claims, prepares and resets free hosts of the pool).
 */
async function verifyConfigured(
  name: string,
  file: string,
  contract: InstanceContractOptions,
): Promise<VerifyReport> {
  const pluginConfig = await loadPluginConfig(file);
  const section = pluginConfig.plugins.get(name);
  if (section === undefined) {
    const names = [...pluginConfig.plugins.keys()].join(', ') || 'none';
    throw new TendError('invalid_spec', `${file}: configures no plugin named ${name} (it has: ${names})`);
  }
  // A host's Init runs to its end before provision returns, so the contract's `sleep 300` default
  // (meant to keep a process instance alive) would hold every check for five minutes.
  const checks =
    section.kind === 'hosts' && contract.init === undefined
      ? { ...contract, init: 'echo tend plugin verify' }
      : contract;
  const home = tendHome();
  const resolver = new BuiltinPluginResolver({
    stateDir: join(home, 'process'),
    pluginDir: pluginDir(),
    pluginConfig,
  });
  try {
    const results = await verifyInstancePlugin(await resolver.instance(name), checks);
    return {
      heading: `plugin ${name} (kind ${section.kind}) configured in ${file}`,
      where: { builtin: true, kind: section.kind, pluginConfig: file },
      results: results.map((c) => ({ ...c, name: `instance: ${c.name}` })),
    };
  } finally {
    await resolver.close();
  }
}

/** A resolver asked only for the names it serves (it creates nothing until a plugin is asked for). */
function namesOnly(): BuiltinPluginResolver {
  return new BuiltinPluginResolver({ stateDir: join(tendHome(), 'process'), pluginDir: pluginDir() });
}

/** Ensemble flavors need member names: their contract runs with logical IDs only. */
const LOGICAL_IDS_ONLY = new Set(['etcd', 'zookeeper']);

/**
 * The contract against a plugin in the box, in this process, or undefined when `name` is none.
 * An instance plugin gets a scratch state directory, so the checks' instances, state files, logs
 * and epoch fence never mix with those of a manager running beside it.
 */
async function verifyBuiltin(
  name: string,
  contract: InstanceContractOptions,
): Promise<VerifyReport | undefined> {
  const probe = namesOnly();
  const type = probe.builtinNames('instance').includes(name)
    ? 'instance'
    : probe.builtinNames('flavor').includes(name)
      ? 'flavor'
      : undefined;
  if (type === undefined) return undefined;
  const scratch = await mkdtemp(join(tmpdir(), `tend-verify-${name}-`));
  const resolver = new BuiltinPluginResolver({ stateDir: join(scratch, 'process'), pluginDir: pluginDir() });
  try {
    const results =
      type === 'instance'
        ? await verifyInstancePlugin(await resolver.instance(name), contract)
        : await verifyFlavorPlugin(await resolver.flavor(name), {
            ...(contract.properties === undefined ? {} : { properties: contract.properties }),
            ...(LOGICAL_IDS_ONLY.has(name) ? { allocations: 'logical-ids-only' as const } : {}),
          });
    return {
      heading: `built-in ${type} plugin ${name}`,
      where: { builtin: true, type },
      results: results.map((c) => ({ ...c, name: `${type}: ${c.name}` })),
    };
  } finally {
    await resolver.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

async function verifySocket(
  name: string,
  properties: JsonValue | undefined,
  contract: InstanceContractOptions,
): Promise<VerifyReport> {
  const connected = await connectPlugin({ name }).catch((error: unknown) => {
    if (!TendError.is(error, 'not_found')) throw error;
    const probe = new BuiltinPluginResolver({
      stateDir: join(tendHome(), 'process'),
      pluginDir: pluginDir(),
    });
    const builtins = [...probe.builtinNames('instance'), ...probe.builtinNames('flavor')];
    throw new TendError('not_found', unknownPluginMessage(undefined, name, builtins, error.message));
  });
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
              // A plugin on a socket may be InfraKit's, which knows nothing of tend.op.
              { ...contract, opKey: 'noted' },
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
  return {
    heading: `plugin ${name} at ${connected.socketPath}: ${apiText(connected.apis)}`,
    where: { socketPath: connected.socketPath, apis: connected.apis },
    results,
  };
}
