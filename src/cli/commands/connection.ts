import { type Command, Option } from 'commander';
import { DEFAULT_PORT, ManagerClient } from '../../manager/index.js';
import type { OutputFormat } from '../output.js';

export const DEFAULT_MANAGER_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

/** Adds `--manager URL` to a command that talks to a manager. */
export function withManager(command: Command): Command {
  return command.addOption(
    new Option('--manager <url>', 'manager API URL')
      .env('TEND_MANAGER')
      .default(DEFAULT_MANAGER_URL, DEFAULT_MANAGER_URL),
  );
}

export function clientFor(command: Command): ManagerClient {
  const url = String(command.optsWithGlobals().manager ?? DEFAULT_MANAGER_URL);
  return new ManagerClient({ url: /^https?:\/\//.test(url) ? url : `http://${url}` });
}

export function outputOf(command: Command): OutputFormat {
  return command.optsWithGlobals().output === 'json' ? 'json' : 'table';
}

/** Who is recorded as author of a commit made from this terminal. */
export function cliAuthor(): string | undefined {
  return process.env.TEND_AUTHOR ?? process.env.USER ?? undefined;
}
