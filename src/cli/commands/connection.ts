import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { DEFAULT_PORT, ManagerClient } from '../../api/index.js';
import { TendError } from '../../spi/index.js';
import type { OutputFormat } from '../output.js';
import { tendHome } from './tend-home.js';

export const DEFAULT_MANAGER_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

/** Where `tend up` writes the first admin token, and where the CLI looks when given none. */
export function adminTokenFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(tendHome(env), 'admin.token');
}

/** Adds `--manager URL` and `--token TOKEN` to a command that talks to a manager. */
export function withManager(command: Command): Command {
  return command
    .addOption(
      new Option('--manager <url>', 'manager API URL')
        .env('TEND_MANAGER')
        .default(DEFAULT_MANAGER_URL, DEFAULT_MANAGER_URL),
    )
    .addOption(
      new Option('--token <token>', 'bearer token (default: $TEND_HOME/admin.token)').env('TEND_TOKEN'),
    );
}

export function clientFor(command: Command): ManagerClient {
  const options = command.optsWithGlobals();
  const url = managerUrl(String(options.manager || DEFAULT_MANAGER_URL));
  const given = typeof options.token === 'string' && options.token !== '';
  const token = given ? options.token : defaultToken();
  // Kept for the error printer: a 401 without any token says where the CLI looked.
  tokenLookup.found = token !== undefined;
  return new ManagerClient({ url, ...(token === undefined ? {} : { token }) });
}

/** Whether the last client made had a token; read by main.ts to explain a 401. */
export const tokenLookup = { found: true };

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
  return command.optsWithGlobals().output === 'json' ? 'json' : 'table';
}

/** Who is recorded as author of a commit made from this terminal. */
export function cliAuthor(): string | undefined {
  return process.env.TEND_AUTHOR ?? process.env.USER ?? undefined;
}
