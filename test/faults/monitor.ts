// Watches the world for the whole of a seed: every 50 ms it counts each group's live processes
// against the size bound and records every instance ever seen (its epoch from the state file, its
// start from /proc); every 250 ms it asks each running manager for `GET /v1/status` with a 1 s
// limit. Violations are collected, not thrown, so a seed reports all it found.
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerClient } from '../../src/api/index.js';
import type { GroupModel } from './model.js';
import type { Setup } from './setup.js';
import { type LiveInstance, readStateFiles, scanWorld } from './world.js';

export type InvariantName =
  | 'size-bound'
  | 'unaccounted'
  | 'epoch-order'
  | 'others-converge'
  | 'history'
  | 'status-latency'
  | 'converge';

export interface Violation {
  invariant: InvariantName;
  step: number;
  fault: string;
  detail: string;
}

export interface SeenInstance {
  id: string;
  group: string;
  startedAt: number;
  epoch: number | undefined;
}

export const STATUS_LIMIT_MS = 1000;
/**
 * A slow status probe counts only when a trivial HTTP server in another process answered at the
 * same moment within this: otherwise the whole machine was starved (CI and dev boxes are shared),
 * and the probe says nothing about Tend. Such probes are counted, not hidden.
 */
export const CONTROL_LIMIT_MS = 250;

export class Monitor {
  readonly violations: Violation[] = [];
  readonly seen = new Map<string, SeenInstance>();
  /** The latest scan, for checks at the end of a step. */
  world = new Map<string, LiveInstance>();
  step = 0;
  fault = 'none';
  statusProbes = 0;
  maxStatusMs = 0;
  /** Slow probes discarded because the control server was slow too. */
  starvedProbes = 0;
  private running = true;
  private readonly loops: Array<Promise<void>>;
  private readonly reported = new Set<string>();

  private readonly setup: Setup;
  private readonly groups: readonly GroupModel[];
  private readonly controlUrl: string;

  constructor(setup: Setup, groups: readonly GroupModel[], controlUrl: string) {
    this.setup = setup;
    this.groups = groups;
    this.controlUrl = controlUrl;
    this.loops = [this.sampleLoop(), this.statusLoop()];
  }

  violate(invariant: InvariantName, detail: string): void {
    // One report per invariant and step is enough to act on; the rest would be noise.
    const key = `${invariant}/${this.step}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.violations.push({ invariant, step: this.step, fault: this.fault, detail });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** One scan now: the world, the size bound, and the record of every instance seen. */
  sample(): Map<string, LiveInstance> {
    const world = scanWorld(this.setup.runId);
    const states = new Map([
      ...readStateFiles(this.setup.stateDir),
      ...readStateFiles(this.setup.hostileStateDir),
    ]);
    const counts = new Map<string, number>();
    for (const instance of world.values()) {
      counts.set(instance.group, (counts.get(instance.group) ?? 0) + 1);
      const known = this.seen.get(instance.id);
      const epochTag = states.get(instance.id)?.tags['tend.epoch'];
      const epoch = epochTag === undefined ? undefined : Number(epochTag);
      if (known === undefined) {
        this.seen.set(instance.id, {
          id: instance.id,
          group: instance.group,
          startedAt: instance.startedAt,
          epoch,
        });
      } else if (known.epoch === undefined && epoch !== undefined) {
        known.epoch = epoch;
      }
    }
    for (const group of this.groups) {
      const live = counts.get(group.id) ?? 0;
      if (live > group.bound) {
        this.violate('size-bound', `${group.id}: ${live} live processes, at most ${group.bound} allowed`);
      }
    }
    this.world = world;
    return world;
  }

  private async sampleLoop(): Promise<void> {
    while (this.running) {
      this.sample();
      await sleep(50);
    }
  }

  /** Milliseconds the control server took (Infinity when it did not answer within the limit). */
  private async probeControl(): Promise<number> {
    const started = Date.now();
    try {
      await (await fetch(this.controlUrl, { signal: AbortSignal.timeout(STATUS_LIMIT_MS) })).text();
      return Date.now() - started;
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  }

  private async statusLoop(): Promise<void> {
    const clients = new Map<ManagerClient, ManagerClient>();
    // A manager counts from its first answer on: before that it is still booting, not slow.
    const answered = new Set<ManagerClient>();
    while (this.running) {
      await Promise.all(
        this.setup.slots.map(async (slot) => {
          const managed = slot.process;
          if (slot.state !== 'up' || managed === undefined) return;
          let client = clients.get(managed.client);
          if (client === undefined) {
            client = new ManagerClient({
              url: managed.url,
              token: managed.token,
              readTimeoutMs: STATUS_LIMIT_MS,
            });
            clients.set(managed.client, client);
          }
          const started = Date.now();
          const control = this.probeControl();
          let failure: string | undefined;
          try {
            await client.status();
            answered.add(managed.client);
          } catch (error) {
            failure = String(error);
          }
          const ms = Date.now() - started;
          const controlMs = await control;
          // A probe that overlapped a kill or freeze of this very manager, or its boot, says nothing.
          if (slot.state !== 'up' || slot.process !== managed || slot.startedAt > started) return;
          if (!answered.has(managed.client)) return;
          this.statusProbes += 1;
          if (failure === undefined && ms <= STATUS_LIMIT_MS) {
            this.maxStatusMs = Math.max(this.maxStatusMs, ms);
            return;
          }
          if (controlMs > CONTROL_LIMIT_MS) {
            this.starvedProbes += 1;
            return;
          }
          this.maxStatusMs = Math.max(this.maxStatusMs, ms);
          this.violate(
            'status-latency',
            `${slot.name}: GET /v1/status sent at ${new Date(started).toISOString()} ${failure === undefined ? 'answered' : `failed (${failure})`} after ${ms} ms while a control server answered in ${controlMs} ms`,
          );
        }),
      );
      await sleep(250);
    }
  }
}

/**
 * No mutating action by an epoch after a newer epoch's first action: among the instances seen,
 * none tagged with epoch e may have started after the first instance of any epoch above e.
 * Starts come from /proc (10 ms ticks), so a tie within one tick is not counted.
 */
export function epochViolations(seen: Iterable<SeenInstance>): string[] {
  const byEpoch = new Map<number, SeenInstance[]>();
  for (const s of seen) {
    if (s.epoch === undefined || !Number.isFinite(s.epoch)) continue;
    const list = byEpoch.get(s.epoch) ?? [];
    list.push(s);
    byEpoch.set(s.epoch, list);
  }
  const epochs = [...byEpoch.keys()].sort((a, b) => a - b);
  const found: string[] = [];
  for (const [i, older] of epochs.entries()) {
    const newerFirst = Math.min(
      ...epochs.slice(i + 1).flatMap((e) => (byEpoch.get(e) ?? []).map((s) => s.startedAt)),
    );
    for (const s of byEpoch.get(older) ?? []) {
      if (s.startedAt > newerFirst + 10) {
        found.push(
          `${s.id} (${s.group}) started by epoch ${older} ${Math.round(s.startedAt - newerFirst)} ms after a newer epoch's first action`,
        );
      }
    }
  }
  return found;
}
