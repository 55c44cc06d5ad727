import { homedir } from 'node:os';
import { join } from 'node:path';

/** Tend's own directory: `$TEND_HOME`, else `~/.tend` (store, tokens, plugin state, sockets). */
export function tendHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.TEND_HOME;
  return home !== undefined && home !== '' ? home : join(homedir(), '.tend');
}
