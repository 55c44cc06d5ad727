// Looks at the real machine, not at Tend: which live processes carry a given environment, read
// from /proc/<pid>/environ. The crash tests count instances with it, so an orphan that no state
// file names is still seen.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface EnvProcess {
  pid: number;
  /** Process group: the instance's `sh` leads its own, its children share it. */
  pgid: number;
  env: Record<string, string>;
}

/** Live (not zombie) processes of this user whose environment holds every `want` pair. */
export function processesWithEnv(want: Readonly<Record<string, string>>): EnvProcess[] {
  const found: EnvProcess[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of names) {
    if (!/^[0-9]+$/.test(name)) continue;
    let environ: string;
    let stat: string;
    try {
      environ = readFileSync(join('/proc', name, 'environ'), 'utf8');
      stat = readFileSync(join('/proc', name, 'stat'), 'utf8');
    } catch {
      continue; // another user's, or ended while we looked
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') continue;
    const env: Record<string, string> = {};
    for (const entry of environ.split('\0')) {
      const at = entry.indexOf('=');
      if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
    }
    if (Object.entries(want).every(([k, v]) => env[k] === v)) {
      found.push({ pid: Number(name), pgid: Number(fields[2]), env });
    }
  }
  return found;
}

/** The distinct `TEND_INSTANCE_ID`s among live processes carrying `want`: one per instance. */
export function liveInstanceIds(want: Readonly<Record<string, string>>): Set<string> {
  const ids = new Set<string>();
  for (const p of processesWithEnv(want)) {
    const id = p.env.TEND_INSTANCE_ID;
    if (id !== undefined) ids.add(id);
  }
  return ids;
}

/** SIGKILLs the process group of every process carrying `want` (test cleanup of orphans too). */
export function killProcessesWithEnv(want: Readonly<Record<string, string>>): void {
  for (const p of processesWithEnv(want)) {
    for (const target of [-p.pgid, p.pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
