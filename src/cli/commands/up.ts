import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, Option } from 'commander';
import { createLogger, type Logger, type LogLevel } from '../../lib/index.js';
import { isLoopbackHost, Manager, ManagerClient } from '../../manager/index.js';
import { pluginDir } from '../../rpc/index.js';
import { TendError, toTendError } from '../../spi/index.js';
import { createDashboardHandler } from '../../web/index.js';
import { BuiltinPluginResolver } from '../builtin-plugins.js';
import { printJsonLine, printLine } from '../output.js';
import { loadPluginConfig } from '../plugin-config/index.js';
import { adminTokenFile } from './connection.js';
import {
  dockerSocketFlag,
  openLeadership,
  openStore,
  openTokens,
  parseListen,
  tendHome,
  type UpConfig,
} from './up-backends.js';
import { watchGroups } from './watch.js';

interface UpFlags {
  name?: string;
  listen: string;
  store: 'file' | 'etcd' | 'swarm';
  storeDir?: string;
  dataDir?: string;
  tlsCert?: string;
  tlsKey?: string;
  leadership: 'static' | 'file' | 'etcd' | 'swarm' | 'plugin';
  leaderFile?: string;
  dockerHost?: string;
  leadershipPlugin: string;
  etcdEndpoints: string;
  etcdPrefix: string;
  leaseTtl: string;
  pluginDir?: string;
  stateDir?: string;
  pluginConfig?: string;
  spec?: string | false;
  tickInterval?: string;
  maxGroupSize?: string;
  maxActionsPerTick?: string;
  groupSocket: boolean;
  showToken?: boolean;
  logLevel: LogLevel;
}

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('run a manager in the foreground (file store, static leadership, built-in plugins)')
    .option('--name <name>', 'manager name (default: host name)')
    .option('--listen <host:port>', 'HTTP API address', '127.0.0.1:7420')
    .addOption(
      new Option('--store <backend>', 'spec store').choices(['file', 'etcd', 'swarm']).default('file'),
    )
    .option('--store-dir <dir>', 'file store directory (default: $TEND_HOME/store, ~/.tend/store)')
    .option(
      '--data-dir <dir>',
      'audit log, event log and (file store) tokens.json (default: the store dir); HA managers on the file store must share it',
    )
    .option('--tls-cert <file>', 'PEM certificate: serve https (required to listen beyond loopback)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .addOption(
      new Option('--leadership <backend>', 'leader election')
        .choices(['static', 'file', 'etcd', 'swarm', 'plugin'])
        .default('static'),
    )
    .option(
      '--docker-host <unix://path>',
      'local engine for swarm leadership and store (default: $DOCKER_HOST, unix:///var/run/docker.sock)',
    )
    .option('--leadership-plugin <name>', 'plugin socket asked by plugin leadership', 'leader')
    .option('--leader-file <file>', 'shared file for file leadership (default: $TEND_HOME/leader)')
    .option('--etcd-endpoints <urls>', 'comma-separated etcd endpoints', 'http://127.0.0.1:2379')
    .option('--etcd-prefix <prefix>', 'key prefix in etcd', 'tend/')
    .option('--lease-ttl <seconds>', 'leader lease for file and etcd leadership', '5')
    .option('--plugin-dir <dir>', 'plugin sockets (default: $TEND_PLUGIN_DIR, ~/.tend/plugins)')
    .option('--state-dir <dir>', 'state of the process plugin (default: $TEND_HOME/process)')
    .option(
      '--plugin-config <file>',
      'YAML/JSON file of named built-in instance plugins: plugins: { NAME: { kind, limits, config } }',
    )
    .option(
      '--spec <file>',
      'spec applied at start (default: examples/process-group.yaml when the store is empty)',
    )
    .option('--no-spec', 'apply no spec at start')
    .option('--tick-interval <ms>', 'time between reconcile ticks')
    .option(
      '--max-group-size <n>',
      'most instances (size or logical IDs) one group may ask for (default 10000)',
    )
    .option(
      '--max-actions-per-tick <n>',
      'most provisions and destroys one group plans per tick (default 1000)',
    )
    .option('--no-group-socket', "do not serve InfraKit's Group.* on the plugin directory's `group` socket")
    .option(
      '--show-token',
      'print the first admin token on stdout even when it is not a terminal (default: only on a TTY)',
    )
    .addOption(
      new Option('--log-level <level>', 'JSON logs on stderr')
        .choices(['debug', 'info', 'warn', 'error', 'silent'])
        .env('TEND_LOG_LEVEL')
        .default('warn'),
    )
    .action(async (flags: UpFlags, command: Command) => {
      const say = command.optsWithGlobals().output === 'json' ? sayJson : printLine;
      const showToken = flags.showToken === true || process.stdout.isTTY === true;
      await runUp(resolveUpConfig(flags), createLogger({ level: flags.logLevel }), say, showToken);
    });
}

export function resolveUpConfig(flags: UpFlags): UpConfig {
  const home = tendHome();
  const lease = Number(flags.leaseTtl);
  if (!Number.isInteger(lease) || lease < 1)
    throw new TendError('invalid_spec', '--lease-ttl: expected whole seconds ≥ 1');
  const tick = flags.tickInterval === undefined ? undefined : Number(flags.tickInterval);
  if (tick !== undefined && !(Number.isInteger(tick) && tick > 0)) {
    throw new TendError('invalid_spec', '--tick-interval: expected milliseconds > 0');
  }
  const maxGroupSize = wholeFlag('--max-group-size', flags.maxGroupSize);
  const maxActionsPerTick = wholeFlag('--max-actions-per-tick', flags.maxActionsPerTick);
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new TendError('invalid_spec', '--tls-cert and --tls-key go together');
  }
  const listen = parseListen(flags.listen);
  if (!isLoopbackHost(listen.host) && flags.tlsCert === undefined) {
    throw new TendError(
      'invalid_spec',
      `--listen ${flags.listen}: an address other than loopback needs TLS; pass --tls-cert FILE and --tls-key FILE`,
    );
  }
  const storeDir = flags.storeDir ?? join(home, 'store');
  return {
    name: flags.name ?? hostname(),
    listen,
    store: flags.store,
    storeDir,
    dataDir: flags.dataDir ?? storeDir,
    tls:
      flags.tlsCert === undefined || flags.tlsKey === undefined
        ? undefined
        : { certFile: flags.tlsCert, keyFile: flags.tlsKey },
    leadership: flags.leadership,
    leaderFile: flags.leaderFile ?? join(home, 'leader'),
    dockerSocket: dockerSocketFlag(flags.dockerHost ?? process.env.DOCKER_HOST),
    leadershipPlugin: flags.leadershipPlugin,
    etcdEndpoints: flags.etcdEndpoints
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== ''),
    etcdPrefix: flags.etcdPrefix,
    leaseSeconds: lease,
    pluginDir: flags.pluginDir ?? pluginDir(),
    stateDir: flags.stateDir ?? join(home, 'process'),
    pluginConfig: flags.pluginConfig,
    // '' means "the example, if the store is empty"; false means --no-spec.
    spec: flags.spec === false ? false : (flags.spec ?? ''),
    tickIntervalMs: tick,
    ...(maxGroupSize === undefined ? {} : { maxGroupSize }),
    ...(maxActionsPerTick === undefined ? {} : { maxActionsPerTick }),
    groupSocket: flags.groupSocket,
  };
}

function wholeFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new TendError('invalid_spec', `${flag}: expected a whole number ≥ 1, got ${value}`);
  return n;
}

async function runUp(config: UpConfig, logger: Logger, say: Say, showToken: boolean): Promise<void> {
  // Read first: a bad file must stop `tend up` before it opens a store, a port or a socket.
  const pluginConfig =
    config.pluginConfig === undefined ? undefined : await loadPluginConfig(config.pluginConfig);
  const store = await openStore(config, logger);
  const tokens = await openTokens(config, logger).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const resolver = new BuiltinPluginResolver({
    stateDir: config.stateDir,
    pluginDir: config.pluginDir,
    logger,
    ...(pluginConfig === undefined ? {} : { pluginConfig }),
  });
  // A manager that cannot start (the group socket is held by another…) must exit at once, not
  // linger holding a store, a lock or an API port; Manager.create releases what it opened itself.
  const manager = await createManager(config, { store, tokens, resolver, logger }).catch(
    async (error: unknown) => {
      await resolver.close();
      await tokens?.close();
      await store.close();
      throw error;
    },
  );
  const stopping = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping.signal.aborted) return;
    say(`${signal}: stopping the manager; instances keep running (the next \`tend up\` adopts them)`);
    stopping.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await ensureAdminToken(manager, say, showToken);
    const startedAt = Date.now();
    manager.start();
    printHeader(config, manager.address, say);
    const client = new ManagerClient({ url: manager.address, token: manager.localToken });
    const initial = applyInitialSpec(config, client, stopping.signal, say).catch((error: unknown) => {
      say(`tend: could not apply the initial spec: ${toTendError(error).message}`);
    });
    await watchGroups({
      client,
      print: say,
      signal: stopping.signal,
      events: true,
      eventsSince: startedAt,
      afterFirstTick: true,
    });
    await initial;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await manager.stop();
    await resolver.close();
    await tokens?.close();
    await store.close();
    say('manager stopped');
  }
}

function createManager(
  config: UpConfig,
  parts: {
    store: Awaited<ReturnType<typeof openStore>>;
    tokens: Awaited<ReturnType<typeof openTokens>>;
    resolver: BuiltinPluginResolver;
    logger: Logger;
  },
): Promise<Manager> {
  const { store, tokens, resolver, logger } = parts;
  return Manager.create({
    name: config.name,
    store,
    leadership: ({ address }) => openLeadership(config, address, logger),
    resolver,
    pluginLimitsFor: (plugin) => resolver.limitsFor(plugin),
    listen: config.listen,
    dataDir: config.dataDir,
    ...(tokens === undefined ? {} : { tokens }),
    ...(config.tls === undefined ? {} : { tls: config.tls }),
    staticHandler: createDashboardHandler(),
    logger,
    ...(config.tickIntervalMs === undefined ? {} : { tickIntervalMs: config.tickIntervalMs }),
    ...(config.maxGroupSize === undefined ? {} : { maxGroupSize: config.maxGroupSize }),
    ...(config.maxActionsPerTick === undefined ? {} : { maxActionsPerTick: config.maxActionsPerTick }),
    ...(config.groupSocket ? { groupSocket: { dir: config.pluginDir } } : {}),
  });
}

/**
 * The first start makes an admin token and saves it (0600) where the CLI looks by default.
 * stdout names the file only, since a service manager logs stdout; the secret itself is shown
 * on a terminal or with `--show-token`. Another manager sharing the token set may have made one first (the create is
 * atomic on an empty set, in the file and in etcd): then nothing to do.
 */
async function ensureAdminToken(manager: Manager, say: Say, showToken: boolean): Promise<void> {
  const tokens = manager.services.tokens;
  if (!(await tokens.isEmpty())) return;
  let token: string;
  try {
    token = (await tokens.create('admin', 'admin', { onlyIfEmpty: true })).token;
  } catch (error) {
    if (TendError.is(error, 'conflict')) return;
    throw error;
  }
  const file = adminTokenFile();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile's mode applies only to a file it creates
  if (!showToken) {
    say(`created the first admin token in ${file} (mode 0600; \`cat\` it, or pass --show-token)`);
    return;
  }
  say(`created the first admin token (shown once; saved to ${file}):`);
  say(`  ${token}`);
}

function printHeader(config: UpConfig, url: string, say: Say): void {
  const store =
    config.store === 'file'
      ? `file ${config.storeDir}`
      : config.store === 'swarm'
        ? `swarm via ${config.dockerSocket}`
        : `etcd ${config.etcdEndpoints.join(',')}`;
  const leadership = config.leadership === 'file' ? `file ${config.leaderFile}` : config.leadership;
  say(`tend manager ${config.name}: API on ${url}`);
  say(`  dashboard ${url}/ (sign in with a token; the first admin token is in ${adminTokenFile()})`);
  const configured = config.pluginConfig === undefined ? '' : ` + ${config.pluginConfig}`;
  say(`  store ${store}; leadership ${leadership}; plugins built-in${configured} + ${config.pluginDir}`);
  say('  Ctrl-C stops the manager; instances keep running.');
}

/**
 * An explicit `--spec` is applied every time (applying is idempotent); the example only when the
 * store has no groups, so a restart never undoes what the user applied since.
 */
async function applyInitialSpec(
  config: UpConfig,
  client: ManagerClient,
  signal: AbortSignal,
  say: Say,
): Promise<void> {
  if (config.spec === false) return;
  const explicit = config.spec !== undefined && config.spec !== '';
  const file = explicit ? config.spec : exampleSpec();
  if (file === undefined) return;
  for (let attempt = 0; !signal.aborted; attempt++) {
    const view = await client.leader().catch(() => undefined);
    if (view?.self.role === 'leader') break;
    // Another manager leads: the spec is its business (it is in the shared store already, or will be).
    if (view !== undefined && view.leader !== null && view.leader.name !== view.self.name) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 100 * (attempt + 1))));
  }
  if (signal.aborted) return;
  if (!explicit && (await client.status()).groups.length > 0) return;
  const result = await client.apply(await readFile(file, 'utf8'), { reason: `tend up --spec ${file}` });
  for (const group of result.groups) say(`applied ${file}: ${group.id} ${group.change}`);
}

/** examples/process-group.yaml of this installation, from source (src/cli) or compiled (dist/src/cli). */
function exampleSpec(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'examples', 'process-group.yaml');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/** One line of `tend up`'s running commentary. */
type Say = (line: string) => void;

/** `-o json`: the same commentary as JSON lines, `{"at": ISO time, "message": …}`, for log shippers. */
function sayJson(line: string): void {
  printJsonLine({ at: new Date().toISOString(), message: line.trim() });
}
