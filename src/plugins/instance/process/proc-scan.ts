import { readdir, readFile } from 'node:fs/promises';
import { hasProc, isGone, readProcStat } from './proc-stat.js';

/** Set in every instance's environment: which state dir (hashed) the instance belongs to. */
export const STATE_DIR_ENV = 'TEND_STATE_DIR_ID';
export const INSTANCE_ENV = 'TEND_INSTANCE_ID';

/** The live processes of one instance, as /proc shows them. */
export interface InstanceProcesses {
  /** The `sh` the plugin spawned: it leads its own process group. Absent once it has ended. */
  leader?: { pid: number; startTime: string };
  /** Every live process carrying the instance's id (the leader and whatever it started). */
  pids: number[];
}

/**
 * Every live process of this user whose environment names `stateDirId`, grouped by instance id.
 * This is how an instance is found when no state file names it (a manager killed between spawn
 * and state write, a damaged file). Processes of other users cannot be read and are skipped, as
 * are processes that cleared their environment: those are beyond the plugin's reach.
 */
export async function scanInstanceProcesses(stateDirId: string): Promise<Map<string, InstanceProcesses>> {
  const found = new Map<string, InstanceProcesses>();
  if (!hasProc) return found;
  const names = await readdir('/proc').catch(() => [] as string[]);
  const wantDir = `${STATE_DIR_ENV}=${stateDirId}`;
  for (const name of names) {
    if (!/^[0-9]+$/.test(name)) continue;
    const pid = Number(name);
    const environ = await readFile(`/proc/${name}/environ`, 'latin1').catch(() => undefined);
    if (environ === undefined) continue;
    const entries = environ.split('\0');
    if (!entries.includes(wantDir)) continue;
    const id = entries.find((e) => e.startsWith(`${INSTANCE_ENV}=`))?.slice(INSTANCE_ENV.length + 1);
    if (id === undefined) continue;
    const stat = await readProcStat(pid);
    if (stat === undefined || isGone(stat)) continue;
    const entry = found.get(id) ?? { pids: [] };
    entry.pids.push(pid);
    if (stat.pgrp === pid) entry.leader = { pid, startTime: stat.startTime };
    found.set(id, entry);
  }
  return found;
}

/** SIGKILL to every process of an instance nobody accounts for, and to their process groups. */
export function killAll(processes: InstanceProcesses): void {
  const targets = new Set<number>(processes.pids);
  if (processes.leader !== undefined) targets.add(-processes.leader.pid);
  for (const target of targets) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
