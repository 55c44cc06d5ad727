import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * Linux tells a process apart from a later one that got the same PID by its start time (field 22
 * of /proc/<pid>/stat, in clock ticks since boot). Elsewhere only `kill(pid, 0)` is available.
 */
export const hasProc = existsSync('/proc/self/stat');

export interface ProcStat {
  state: string;
  /** Process group: an instance's `sh` leads its own (it is spawned detached, in a new session). */
  pgrp: number;
  startTime: string;
}

export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgrp = Number(fields[2]);
  const startTime = fields[19];
  if (state === undefined || startTime === undefined || !Number.isInteger(pgrp)) return undefined;
  return { state, pgrp, startTime };
}

export function isGone(stat: ProcStat | undefined): boolean {
  return stat === undefined || stat.state === 'Z' || stat.state === 'X' || stat.state === 'x';
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
  if (isGone(stat)) return false;
  // A recorded instance without a start time died before it could be read.
  return startTime !== null && stat?.startTime === startTime;
}

let clockBase: Promise<{ bootMs: number; ticksPerSecond: number } | undefined> | undefined;

/**
 * When a process started, in ms since the epoch: boot time (`btime` in /proc/stat, whole
 * seconds) plus its start time in clock ticks. The same for every reader on this machine, so
 * an instance's age survives manager restarts; undefined off Linux.
 */
export async function startTimeToEpochMs(startTime: string | null): Promise<number | undefined> {
  if (startTime === null || !hasProc) return undefined;
  clockBase ??= readClockBase();
  const base = await clockBase;
  const ticks = Number(startTime);
  if (base === undefined || !Number.isFinite(ticks)) return undefined;
  return base.bootMs + Math.round((ticks * 1000) / base.ticksPerSecond);
}

async function readClockBase(): Promise<{ bootMs: number; ticksPerSecond: number } | undefined> {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => '');
  const btime = /^btime (\d+)$/m.exec(stat)?.[1];
  if (btime === undefined) return undefined;
  // USER_HZ is 100 on every mainstream Linux ABI; getconf confirms where it is installed.
  const reported = await new Promise<number>((resolve) => {
    execFile('getconf', ['CLK_TCK'], (error, stdout) => {
      const hz = Number(String(stdout).trim());
      resolve(error === null && Number.isInteger(hz) && hz > 0 ? hz : 100);
    });
  });
  return { bootMs: Number(btime) * 1000, ticksPerSecond: reported };
}

function signalZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
