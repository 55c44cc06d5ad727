import type { Clock, Logger } from '../../../lib/index.js';
import { type InstanceProcesses, killAll, scanInstanceProcesses } from './proc-scan.js';
import type { ProcessState, ProvisionIntent, StateDir, StateListing } from './state-dir.js';

export interface ReconcilerOptions {
  dir: StateDir;
  logger: Logger;
  clock: Clock;
  /** IDs this plugin object is provisioning right now: their intents are not leftovers. */
  inFlight: ReadonlySet<string>;
  /** An intent younger than this may belong to a spawn still on its way (another manager). */
  intentGraceMs: number;
  /** Between two full scans of /proc when nothing points at a leftover. */
  scanIntervalMs: number;
  /** Told about every process group it reaps, so watchers hear `gone`. */
  onReaped: (id: string) => void;
}

/**
 * Makes the state dir agree with the processes that really run. A manager can die between any
 * two steps of a provision (intent written → spawned → state written → intent removed), and a
 * file can be damaged by hand; whatever happened, afterwards every live process of this dir is
 * named by a state file, or it is gone:
 * - intent + live process, no state → adopted: the state is written from /proc (pid, start time);
 * - intent without a process, older than the grace → dropped (the spawn never happened);
 * - live process named by no file (a damaged file quarantined, an intent already dropped) →
 *   reaped with SIGKILL: its tags are unknown, so no group could adopt it, and a process nobody
 *   can find is exactly the orphan this exists to prevent. Its log is kept.
 */
export class Reconciler {
  private readonly options: ReconcilerOptions;
  private running: Promise<ProcessState[]> | undefined;
  private lastScanAt: number | undefined;

  constructor(options: ReconcilerOptions) {
    this.options = options;
  }

  /** The state files after reconciling; concurrent callers share one run. */
  run(): Promise<ProcessState[]> {
    this.running ??= this.reconcile().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Settles once no run is in flight (close waits for a background one). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async reconcile(): Promise<ProcessState[]> {
    const { dir, clock, inFlight } = this.options;
    // A first look decides whether /proc must be read at all (it costs one read per process).
    const first = await dir.list();
    const damaged = dir.takeQuarantined();
    if (!this.scanDue(first, damaged)) return first.states;
    // /proc before the directory: a process seen here was spawned before the listing below, so
    // its intent (written before the spawn) or its state (written before the intent goes) is in it.
    const processes = await scanInstanceProcesses(await dir.marker());
    const listing = await dir.list();
    for (const id of dir.takeQuarantined()) damaged.add(id);
    this.lastScanAt = clock.now();
    const stateIds = new Set(listing.states.map((s) => s.id));
    const kept = new Set<string>();
    for (const intent of listing.intents) {
      if (inFlight.has(intent.id)) {
        kept.add(intent.id);
        continue;
      }
      if (stateIds.has(intent.id)) {
        await dir.removeIntent(intent.id);
        continue;
      }
      const leader = processes.get(intent.id)?.leader;
      if (leader !== undefined) {
        const state = stateFromIntent(intent, leader);
        await dir.write(state);
        await dir.removeIntent(intent.id);
        listing.states.push(state);
        stateIds.add(state.id);
        this.options.logger.warn('instance adopted from provision intent', {
          instance: intent.id,
          pid: leader.pid,
          tags: intent.tags,
        });
      } else if (clock.now() - intent.intendedAt >= this.options.intentGraceMs) {
        await dir.removeIntent(intent.id);
        this.options.logger.info('provision intent dropped: no process was started', {
          instance: intent.id,
        });
      } else {
        kept.add(intent.id);
      }
    }
    for (const [id, found] of processes) {
      if (stateIds.has(id) || kept.has(id) || listing.foreign.has(id) || inFlight.has(id)) continue;
      // Written between our listing and now (another manager's provision finishing)?
      if (await dir.accounts(id)) continue;
      this.kill(id, found, damaged.has(id) ? 'its state file was damaged' : 'no state file names it');
    }
    return listing.states;
  }

  /**
   * Kills the processes of `id`, whose state file was found damaged (and quarantined) by a
   * destroy: the destroy must not succeed while the instance runs on until the next scan.
   */
  async reapDamaged(id: string): Promise<void> {
    const { dir } = this.options;
    if (!(await dir.hasDamaged(id)) || (await dir.accounts(id))) return;
    const found = (await scanInstanceProcesses(await dir.marker())).get(id);
    if (found !== undefined) this.kill(id, found, 'destroyed, and its state file was damaged');
  }

  private kill(id: string, found: InstanceProcesses, why: string): void {
    killAll(found);
    this.options.onReaped(id);
    this.options.logger.warn('untracked instance process reaped', {
      instance: id,
      pids: found.pids,
      log: this.options.dir.logPath(id),
      why,
    });
  }

  private scanDue(listing: StateListing, damaged: ReadonlySet<string>): boolean {
    const { clock, inFlight, scanIntervalMs } = this.options;
    if (this.lastScanAt === undefined || damaged.size > 0) return true;
    if (listing.intents.some((i) => !inFlight.has(i.id))) return true;
    return clock.now() - this.lastScanAt >= scanIntervalMs;
  }
}

function stateFromIntent(intent: ProvisionIntent, leader: { pid: number; startTime: string }): ProcessState {
  const state: ProcessState = {
    version: 1,
    id: intent.id,
    pid: leader.pid,
    startTime: leader.startTime,
    tags: intent.tags,
    init: intent.init,
    createdAt: intent.createdAt,
  };
  if (intent.logicalId !== undefined) state.logicalId = intent.logicalId;
  if (intent.cwd !== undefined) state.cwd = intent.cwd;
  return state;
}
