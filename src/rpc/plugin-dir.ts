import { chmod, lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TendError } from '../spi/index.js';
import { checkSocketPath, isErrnoCode, isSocketLive, removeStaleSocket } from './unix-socket.js';

/**
 * `$TEND_PLUGIN_DIR`, else `$TEND_HOME/plugins`, else `~/.tend/plugins` (ARCHITECTURE.md §3):
 * a manager run with its own `TEND_HOME` finds its own plugins, not another one's.
 */
export function pluginDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.TEND_PLUGIN_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const home = env.TEND_HOME;
  return join(home !== undefined && home !== '' ? home : join(homedir(), '.tend'), 'plugins');
}

/** Creates the directory mode 0700 (and tightens an existing one): sockets in it are private. */
export async function ensurePluginDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return dir;
}

export interface PluginName {
  /** The whole name as given, `lookup` or `lookup/type`. */
  name: string;
  /** The socket's file name. */
  lookup: string;
  /** Sent as `"Type"` in every request when present. */
  type?: string;
}

/** Splits `lookup/type`; rejects names that cannot be a file name in the plugin directory. */
export function parsePluginName(name: string): PluginName {
  const slash = name.indexOf('/');
  const lookup = slash === -1 ? name : name.slice(0, slash);
  const type = slash === -1 ? undefined : name.slice(slash + 1);
  if (lookup === '' || lookup === '.' || lookup === '..' || lookup.includes('\0')) {
    throw new TendError('invalid_spec', `plugin name "${name}" is not valid: expected NAME or NAME/TYPE`, {
      details: { plugin: name },
    });
  }
  if (type !== undefined && (type === '' || type.includes('/'))) {
    throw new TendError(
      'invalid_spec',
      `plugin name "${name}" is not valid: the type after "/" is empty or nested`,
      {
        details: { plugin: name },
      },
    );
  }
  return type === undefined ? { name, lookup } : { name, lookup, type };
}

/** The socket path for a plugin name, checked against the unix socket length limit. */
export function pluginSocketPath(dir: string, name: string): string {
  const socketPath = join(dir, parsePluginName(name).lookup);
  checkSocketPath(socketPath);
  return socketPath;
}

/** Where a plugin on TCP listens (InfraKit v0.5's `<name>.listen` file). */
export interface TcpAddress {
  host: string;
  port: number;
}

export interface PluginEntry {
  name: string;
  /** The socket; for a plugin on TCP, its `<name>.listen` file. */
  socketPath: string;
  /** Set for a plugin on TCP: the address its `.listen` file names. */
  tcp?: TcpAddress;
}

const LISTEN = '.listen';

/**
 * Reads an InfraKit `<name>.listen` file: one URL, `tcp://host:port` as InfraKit's
 * `RunListener` writes it (or `http://host:port`). Anything else is `invalid_spec` naming it.
 */
export async function readListenFile(path: string): Promise<TcpAddress> {
  const text = (await readFile(path, 'utf8')).trim();
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const port = Number(url?.port);
  if (
    url === undefined ||
    (url.protocol !== 'tcp:' && url.protocol !== 'http:') ||
    url.hostname === '' ||
    !(port > 0)
  )
    throw new TendError(
      'invalid_spec',
      `${path}: expected tcp://host:port or http://host:port, got ${JSON.stringify(text.slice(0, 100))}`,
      {
        details: { path },
      },
    );
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * Plugins in the directory, by name: sockets, and InfraKit's `<name>.listen` files of plugins on
 * TCP (a socket wins over a `.listen` of the same name; an unreadable one is left out, as InfraKit
 * does). An absent directory has none.
 */
export async function listPlugins(dir: string): Promise<PluginEntry[]> {
  const names = await readdir(dir).catch((error: unknown) => {
    if (isErrnoCode(error, 'ENOENT')) return [];
    throw new TendError('unavailable', `cannot read plugin directory ${dir}: ${String(error)}`, {
      cause: error,
    });
  });
  const entries: PluginEntry[] = [];
  const sockets = new Set<string>();
  for (const name of names.sort()) {
    const socketPath = join(dir, name);
    const stats = await lstat(socketPath).catch(() => undefined);
    if (stats?.isSocket()) {
      entries.push({ name, socketPath });
      sockets.add(name);
    }
  }
  for (const file of names) {
    const name = file.slice(0, -LISTEN.length);
    if (!file.endsWith(LISTEN) || name === '' || sockets.has(name)) continue;
    const path = join(dir, file);
    if ((await lstat(path).catch(() => undefined))?.isFile() !== true) continue;
    const tcp = await readListenFile(path).catch(() => undefined);
    if (tcp !== undefined) entries.push({ name, socketPath: path, tcp });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface FoundPlugin extends PluginName {
  socketPath: string;
  tcp?: TcpAddress;
}

/**
 * Finds a plugin's socket, else its `<name>.listen` file (a plugin on TCP); `not_found` names
 * the plugin and the directory searched.
 */
export async function findPlugin(dir: string, name: string): Promise<FoundPlugin> {
  const parsed = parsePluginName(name);
  const socketPath = pluginSocketPath(dir, name);
  const stats = await lstat(socketPath).catch(() => undefined);
  if (stats?.isSocket() === true) return { ...parsed, socketPath };
  const listenPath = join(dir, `${parsed.lookup}${LISTEN}`);
  if ((await lstat(listenPath).catch(() => undefined))?.isFile() === true)
    return { ...parsed, socketPath: listenPath, tcp: await readListenFile(listenPath) };
  throw new TendError('not_found', `plugin ${name}: no socket named ${parsed.lookup} in ${dir}`, {
    details: { plugin: name, dir },
  });
}

/** Removes socket files nobody listens on (left by crashed plugins); returns their names. */
export async function cleanStaleSockets(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await listPlugins(dir)) {
    // A `.listen` file belongs to a plugin on TCP: not ours to judge or remove.
    if (entry.tcp !== undefined || (await isSocketLive(entry.socketPath))) continue;
    // Another process may have bound the name between our probe and now: removeStaleSocket re-checks.
    const outcome = await removeStaleSocket(entry.socketPath).catch(() => 'absent' as const);
    if (outcome === 'removed') removed.push(entry.name);
  }
  return removed;
}
