import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { DEFAULT_PORT, ManagerClient } from '../../api/index.js';
import { TendError } from '../../spi/index.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { configFile, configPath, loadConfig, selectContext, type TendContext } from './contexts.js';
import { tendHome } from './tend-home.js';

export const DEFAULT_MANAGER_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

/** Where `tend up` writes the first admin token, and where the CLI looks when given none. */
export function adminTokenFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(tendHome(env), 'admin.token');
}

/** Adds `--manager`, `--token`, `--context` and `--ca` to a command that talks to a manager. */
export function withManager(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--manager <url>',
        `manager API URL (default: the context's, else ${DEFAULT_MANAGER_URL})`,
      ).env('TEND_MANAGER'),
    )
    .addOption(
      new Option('--token <token>', "bearer token (default: the context's, else $TEND_HOME/admin.token)").env(
        'TEND_TOKEN',
      ),
    )
    .addOption(
      new Option('--context <name>', 'a named context of $TEND_HOME/config.yaml (`tend context ls`)').env(
        'TEND_CONTEXT',
      ),
    )
    .addOption(
      new Option('--ca <file>', "trust this PEM certificate, e.g. a manager's self-signed one").env(
        'TEND_CA',
      ),
    )
    .hook('preAction', async (_command, action) => {
      const options = action.optsWithGlobals<ConnectionFlags>();
      const wanted = nonEmpty(options.context);
      // The file is read only when it exists; a context is optional.
      const config = await loadConfig();
      active = connectionFor(options, selectContext(config, wanted), config?.file);
    });
}

interface ConnectionFlags {
  manager?: string;
  token?: string;
  context?: string;
  ca?: string;
}

export interface Connection {
  url: string;
  token?: string;
  ca?: string;
  /** Where the token was looked for, for the message when there was none. */
  places: string;
}

/** Set before each command's action by `withManager`'s hook. */
let active: Connection | undefined;

/**
 * Flags (and their env variables) win over the context, the context over the defaults. The admin
 * token file is a default only for a context without a manager of its own: a remote manager must
 * never be sent the local admin's token.
 */
export function connectionFor(
  flags: ConnectionFlags,
  context: TendContext | undefined,
  file: string | undefined,
): Connection {
  const fromFile = (path: string) => configPath(path, file ?? configFile());
  const url = managerUrl(nonEmpty(flags.manager) ?? context?.manager ?? DEFAULT_MANAGER_URL);
  const tokenFile = context?.tokenFile === undefined ? undefined : fromFile(context.tokenFile);
  const token =
    nonEmpty(flags.token) ??
    context?.token ??
    (tokenFile !== undefined ? readSecret(tokenFile, `context ${context?.name} tokenFile`) : undefined) ??
    (context?.manager === undefined ? defaultToken() : undefined);
  const caFile = nonEmpty(flags.ca) ?? (context?.ca === undefined ? undefined : fromFile(context.ca));
  const ca = caFile === undefined ? undefined : readSecret(caFile, '--ca');
  const places =
    context === undefined
      ? tokenPlaces()
      : `--token, $TEND_TOKEN and context ${context.name}${context.manager === undefined ? ` and ${adminTokenFile()}` : ''}`;
  return { url, places, ...(token === undefined ? {} : { token }), ...(ca === undefined ? {} : { ca }) };
}

export function clientFor(command: Command): ManagerClient {
  const connection =
    active ?? connectionFor(command.optsWithGlobals<ConnectionFlags>(), undefined, undefined);
  // Kept for the error printer: a 401 without any token says where the CLI looked.
  tokenLookup.found = connection.token !== undefined;
  tokenLookup.places = connection.places;
  return new ManagerClient({
    url: connection.url,
    ...(connection.token === undefined ? {} : { token: connection.token }),
    ...(connection.ca === undefined ? {} : { ca: connection.ca }),
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** A file the user named (token, certificate): unreadable is an error naming who named it. */
function readSecret(path: string, who: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new TendError('invalid_spec', `${who}: cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Whether the last client made had a token; read by main.ts to explain a 401. */
export const tokenLookup = { found: true, places: '' };

/** Where the CLI looks for a token, in order, for the message when it found none. */
export function tokenPlaces(env: NodeJS.ProcessEnv = process.env): string {
  return `--token, $TEND_TOKEN and ${adminTokenFile(env)}`;
}

/**
 * `http://host:port` or `https://…`, or a bare `host:port` (taken as http). Anything else is
 * refused: `notaurl` would otherwise become `http://notaurl` and fail later as "cannot reach".
 */
export function managerUrl(text: string): string {
  const candidate = /^[a-z][a-z0-9+.-]*:\/\//i.test(text)
    ? text
    : /^[^/:\s]+:\d{1,5}$/.test(text)
      ? `http://${text}`
      : undefined;
  let parsed: URL | undefined;
  try {
    parsed = candidate === undefined ? undefined : new URL(candidate);
  } catch {
    parsed = undefined;
  }
  if (
    parsed === undefined ||
    (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') ||
    parsed.hostname === ''
  ) {
    throw new TendError(
      'invalid_spec',
      `--manager ${JSON.stringify(text.slice(0, 100))}: expected a URL like http://127.0.0.1:${DEFAULT_PORT} (or host:port)`,
    );
  }
  return parsed.origin + parsed.pathname.replace(/\/+$/, '');
}

/** The token `tend up` saved on first start, if this user can read it. */
function defaultToken(): string | undefined {
  try {
    const token = readFileSync(adminTokenFile(), 'utf8').trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

export function outputOf(command: Command): OutputFormat {
  const { output } = command.optsWithGlobals<{ output?: string }>();
  return OUTPUT_FORMATS.find((f) => f === output) ?? 'table';
}

/** Who is recorded as author of a commit made from this terminal. */
export function cliAuthor(): string | undefined {
  return process.env.TEND_AUTHOR ?? process.env.USER ?? undefined;
}
