// What every benchmark's JSON line states beside its figures: which clock it measures with, and
// the machine's load average before and after (a 2-core machine shared with other work skews
// real-clock figures; the reader needs to know how busy it was).
import { cpus, loadavg } from 'node:os';

export type BenchClock = 'real' | 'virtual';

export interface MachineNote {
  clock: BenchClock | string;
  cores: number;
  loadavgBefore: number[];
  loadavgAfter?: number[];
}

const round2 = (values: number[]) => values.map((v) => Math.round(v * 100) / 100);

/** Call at the start; `finish()` adds the load after, for the JSON line. */
export function machineNote(clock: BenchClock | string): { note: MachineNote; finish: () => MachineNote } {
  const note: MachineNote = { clock, cores: cpus().length, loadavgBefore: round2(loadavg()) };
  return { note, finish: () => ({ ...note, loadavgAfter: round2(loadavg()) }) };
}
