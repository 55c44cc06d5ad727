import Docker from 'dockerode';
import {
  EtcdLeadership,
  FileLeadership,
  PluginLeadership,
  StaticLeadership,
  SwarmLeadership,
} from '../../leadership/index.js';
import type { Logger } from '../../lib/index.js';
import { EtcdTokenBackend, TokenStore } from '../../manager/index.js';
import type { ConfigStore, Leadership } from '../../spi/index.js';
import { TendError } from '../../spi/index.js';
import { EtcdStore, FileStore, SwarmStore } from '../../store/index.js';
import { tendHome } from './tend-home.js';

export { tendHome };

/** `up`'s flags after defaults, in one complete form. */
export interface UpConfig {
  name: string;
  listen: { host: string; port: number };
  store: 'file' | 'etcd' | 'swarm';
  storeDir: string;
  /** audit.log, events-<name>.jsonl, and tokens.json on the file store (etcd keeps tokens itself). */
  dataDir: string;
  tls: { certFile: string; keyFile: string } | undefined;
  leadership: 'static' | 'file' | 'etcd' | 'swarm' | 'plugin';
  leaderFile: string;
  /** The local Docker Engine's socket, for swarm leadership. */
  dockerSocket: string;
  /** Socket name in the plugin dir asked by plugin leadership. */
  leadershipPlugin: string;
  etcdEndpoints: string[];
  etcdPrefix: string;
  leaseSeconds: number;
  pluginDir: string;
  stateDir: string;
  /** `--plugin-config`: read before anything is opened. */
  pluginConfig: string | undefined;
  spec: string | false;
  tickIntervalMs: number | undefined;
  /** Ceiling on a group's size or logical IDs (`--max-group-size`); the manager's default when absent. */
  maxGroupSize?: number;
  /** `--max-actions-per-tick`. */
  maxActionsPerTick?: number;
  groupSocket: boolean;
}

/** `--listen HOST:PORT` (`:PORT` and `[v6]:PORT` too); anything else names the flag. */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (match === null || !(port >= 0 && port <= 65_535)) {
    throw new TendError('invalid_spec', `--listen: expected HOST:PORT like 127.0.0.1:7420, got ${value}`);
  }
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '127.0.0.1' : host, port };
}

export async function openStore(config: UpConfig, logger: Logger): Promise<ConfigStore> {
  if (config.store === 'etcd') {
    return EtcdStore.create({ endpoints: config.etcdEndpoints, prefix: config.etcdPrefix });
  }
  if (config.store === 'swarm') {
    return SwarmStore.create({ docker: new Docker({ socketPath: config.dockerSocket, timeout: 10_000 }) });
  }
  return FileStore.create({ dir: config.storeDir, logger: logger.child({ component: 'store' }) });
}

/**
 * On etcd the token set lives in etcd beside the specs, so every manager sees a revocation; on
 * the file store undefined: the manager keeps `tokens.json` in its data dir.
 */
export async function openTokens(config: UpConfig, logger: Logger): Promise<TokenStore | undefined> {
  if (config.store !== 'etcd') return undefined;
  const backend = await EtcdTokenBackend.open({ endpoints: config.etcdEndpoints, prefix: config.etcdPrefix });
  try {
    return await TokenStore.open({ backend, logger });
  } catch (error) {
    await backend.close();
    throw error;
  }
}

export function openLeadership(config: UpConfig, address: string, logger: Logger): Leadership {
  const { name } = config;
  switch (config.leadership) {
    case 'static':
      return new StaticLeadership({ name, address });
    case 'file':
      return new FileLeadership({
        file: config.leaderFile,
        name,
        address,
        pollIntervalMs: Math.max(100, Math.round((config.leaseSeconds * 1000) / 3)),
        leaseMs: config.leaseSeconds * 1000,
        logger,
      });
    case 'etcd':
      return new EtcdLeadership({
        endpoints: config.etcdEndpoints,
        name,
        address,
        ttlSeconds: config.leaseSeconds,
        electionKey: `${config.etcdPrefix}leader`,
        logger,
      });
    case 'swarm':
      return new SwarmLeadership({
        docker: new Docker({ socketPath: config.dockerSocket, timeout: 10_000 }),
        name,
        address,
        logger,
      });
    case 'plugin':
      return new PluginLeadership({
        pluginDir: config.pluginDir,
        plugin: config.leadershipPlugin,
        name,
        address,
        logger,
      });
  }
}

/** `--docker-host`: only a unix socket (`unix:///path` or a bare path); the engine's API is root. */
export function dockerSocketFlag(value: string | undefined): string {
  if (value === undefined || value === '') return '/var/run/docker.sock';
  if (value.startsWith('unix://')) return value.slice('unix://'.length);
  if (value.startsWith('/')) return value;
  throw new TendError('invalid_spec', `--docker-host: expected unix:///path/to/docker.sock, got ${value}`);
}
