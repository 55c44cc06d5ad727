import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { DEFAULT_PORT, ManagerClient } from '../../api/index.js';
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
  const url = String(options.manager || DEFAULT_MANAGER_URL);
  const token = typeof options.token === 'string' && options.token !== '' ? options.token : defaultToken();
  return new ManagerClient({
    url: /^https?:\/\//.test(url) ? url : `http://${url}`,
    ...(token === undefined ? {} : { token }),
  });
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
