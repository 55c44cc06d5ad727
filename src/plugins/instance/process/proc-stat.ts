import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * Linux tells a process apart from a later one that got the same PID by its start time (field 22
 * of /proc/<pid>/stat, in clock ticks since boot). Elsewhere only `kill(pid, 0)` is available.
 */
const hasProc = existsSync('/proc/self/stat');

interface ProcStat {
  state: string;
  startTime: string;
}

async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  if (state === undefined || startTime === undefined) return undefined;
  return { state, startTime };
}

/** The start time to record for `pid`, or null when the platform has none or the process is gone. */
export async function processStartTime(pid: number): Promise<string | null> {
  if (!hasProc) return null;
  return (await readProcStat(pid))?.startTime ?? null;
}

/** Whether `pid` still runs the very process that was recorded (zombies count as dead). */
export async function isProcessAlive(pid: number, startTime: string | null): Promise<boolean> {
  if (!hasProc) return signalZero(pid);
  const stat = await readProcStat(pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return false;
  // A recorded instance without a start time died before it could be read.
  return startTime !== null && stat.startTime === startTime;
}

function signalZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
