// The real world, as the fault campaign sees it: the processes alive on this machine (read from
// /proc, with their environment), and the `process` plugin's state files on disk. Tend's own view
// (status, describe) is never consulted here: that is what the campaign checks, not what it trusts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Set in every campaign instance's environment (spec `properties.env`) to scope scans to one run. */
export const RUN_VARIABLE = 'TEND_CAMPAIGN_RUN';
export const GROUP_VARIABLE = 'TEND_CAMPAIGN_GROUP';

export interface LiveInstance {
  id: string;
  group: string;
  /** Every live process carrying this instance's TEND_INSTANCE_ID (the `sh` and its children). */
  pids: number[];
  /** Wall-clock start of the earliest of those processes, in ms since the epoch (±10 ms). */
  startedAt: number;
}

const ticksPerSecond = 100; // USER_HZ on every Linux Tend runs on

function bootTimeMs(): number {
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Date.now() - uptime * 1000;
}
const bootMs = bootTimeMs();

function readStat(pid: string): { state: string; startTicks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/** Instances of run `runId` that have at least one live (non-zombie) process, by instance id. */
export function scanWorld(runId: string): Map<string, LiveInstance> {
  const marker = `${RUN_VARIABLE}=${runId}\u0000`;
  const found = new Map<string, LiveInstance>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue; // ended between readdir and read
    }
    if (!environ.includes(marker)) continue;
    const stat = readStat(pid);
    if (stat === undefined || stat.state === 'Z' || stat.state === 'X') continue;
    const env = new Map<string, string>();
    for (const entry of environ.split('\u0000')) {
      const eq = entry.indexOf('=');
      if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    const id = env.get('TEND_INSTANCE_ID');
    if (id === undefined) continue;
    const startedAt = bootMs + (stat.startTicks / ticksPerSecond) * 1000;
    const known = found.get(id);
    if (known === undefined) {
      found.set(id, { id, group: env.get(GROUP_VARIABLE) ?? '?', pids: [Number(pid)], startedAt });
    } else {
      known.pids.push(Number(pid));
      known.startedAt = Math.min(known.startedAt, startedAt);
    }
  }
  return found;
}

export interface StateRecord {
  id: string;
  pid: number;
  tags: Record<string, string>;
}

/**
 * The state files of a `process` plugin directory that parse and name their own id, by id. A
 * damaged file accounts for nothing: it is skipped, exactly as it would be by someone reading it.
 */
export function readStateFiles(dir: string): Map<string, StateRecord> {
  const states = new Map<string, StateRecord>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return states;
  }
  for (const name of names) {
    const match = /^(proc-[0-9a-f]+)\.json$/.exec(name);
    if (match?.[1] === undefined) continue;
    try {
      const state = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Partial<StateRecord>;
      if (state.id !== match[1] || typeof state.pid !== 'number' || typeof state.tags !== 'object') continue;
      states.set(state.id, { id: state.id, pid: state.pid, tags: state.tags ?? {} });
    } catch {
      // torn, garbage or being replaced: accounts for nothing
    }
  }
  return states;
}

/** SIGKILLs every process of run `runId` (each instance's whole process group). */
export function killRun(runId: string): void {
  for (const instance of scanWorld(runId).values()) {
    for (const pid of instance.pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
}
