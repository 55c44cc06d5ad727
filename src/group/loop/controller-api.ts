import type { Clock, Logger } from '../../lib/index.js';
import type {
  FlavorPlugin,
  GroupEvent,
  GroupSpec,
  GroupStatus,
  GroupSummary,
  InstanceId,
  InstancePlugin,
  InstanceStatus,
  Intent,
  JsonValue,
  TendError,
} from '../../spi/index.js';
import type { Describer } from './describe-coalescer.js';
import type { PluginLimiter } from './limiter.js';
import type { ControllerObserver } from './observer.js';

/**
 * What the controller persists through the manager. The manager binds it to a store, a group and
 * the leader's epoch, so every write is fenced; tests use `memoryJournal()`.
 */
export interface ControllerJournal {
  putIntent(intent: Intent): Promise<void>;
  clearIntent(key: string): Promise<void>;
  /** Open intents of this group (a new leader resolves them on its first tick). */
  listIntents(): Promise<Intent[]>;
  saveState(state: JsonValue): Promise<void>;
  loadState(): Promise<JsonValue | undefined>;
}

/** Time between two ticks of a group when nothing else wakes it. */
export const DEFAULT_TICK_INTERVAL_MS = 1_000;

export interface GroupControllerOptions {
  spec: GroupSpec;
  instancePlugin: InstancePlugin;
  flavorPlugin: FlavorPlugin;
  journal: ControllerJournal;
  /** The leader's epoch, stamped on created instances as `tend.epoch`. */
  epoch: number;
  clock?: Clock;
  logger?: Logger;
  /** Time between the starts of reconcile ticks when nothing else wakes the loop (rest.ts). */
  tickIntervalMs?: number;
  /**
   * Ticks start on whole multiples of `tickIntervalMs` of the clock, so every group on a plugin
   * looks in the same instant and their describes merge into one call per tick (a cloud plugin's
   * describe budget then does not grow with groups). The pause after a tick then ends at the next
   * multiple (at most one interval) instead of lasting exactly one. Default false.
   */
  alignTicks?: boolean;
  /**
   * How busy the event loop is (0–1): after each tick the loop rests at least this share of the
   * interval. Default: this process's event-loop utilization. Tests pass their own.
   */
  loopBusy?: () => number;
  onEvent?: (event: GroupEvent) => void;
  /** Told what the controller does as it does it (ticks, calls, outcomes): the manager's metrics. */
  observer?: ControllerObserver;
  /**
   * An instance plugin refused a call as `fenced` (it saw a newer epoch): the term is over. The
   * manager ends the term, which aborts the signal given to `start`.
   */
  onFenced?: (error: TendError) => void;
  /** Source of randomness for jitter (seeded in tests). */
  random?: () => number;
  /**
   * The instance plugin's limiter. Share one per plugin across all groups that use it (the
   * provider's quota is per account, not per group). Default: a private, generous one.
   */
  limiter?: PluginLimiter;
  /**
   * How ticks describe the group's instances: share one coalescer per plugin across its groups
   * (`createDescribeCoalescer`) so observation costs per plugin, not per group. Default: one
   * call per tick through `limiter`'s observe lane.
   */
  describer?: Describer;
  /** A describe slower than this counts as failed: the tick does nothing. Default 10 s. */
  describeTimeoutMs?: number;
  /** Circuit breaker: failed replacements in a row that open it (default 5) and its cool-down (default 60 s). */
  breaker?: { threshold?: number; coolDownMs?: number };
  /** Provisions and destroys one tick may plan (default 1,000); a bigger gap closes over several ticks. */
  maxActionsPerTick?: number;
  /**
   * A failed rollout rolled back: the controller now converges to `rollback.spec`, not to the
   * spec it was given. The manager commits that spec as a new revision, and hands it back through
   * `update()`, which ends this state. Called again when a controller starts with a rollback its
   * journal holds but nobody committed (the leader died in between).
   */
  onRollback?: (rollback: RollbackNotice) => void;
}

export interface RollbackNotice {
  /** The known-good spec the controller went back to. */
  spec: GroupSpec;
  /** The config hash of the spec that failed; the commit is moot once another spec is stored. */
  failedConfig: string;
  /** Why the rollout failed (`rollout to … timed out after … ms`). */
  reason: string;
}

/**
 * The reconcile loop for one group. Lifecycle: created → running → stopping → stopped (or
 * failed); an illegal transition (start twice, start after stop) throws a `conflict` TendError.
 */
export interface GroupController {
  /** Where the lifecycle is. */
  readonly state: 'created' | 'running' | 'stopping' | 'stopped' | 'failed';
  /** Starts the loop; it runs until `stop()` or until `signal` aborts (e.g. leadership lost). */
  start(signal: AbortSignal): void;
  /** Stops the loop and waits for in-flight actions to settle. */
  stop(): Promise<void>;
  /** Takes a new spec; a changed config hash starts a rolling update. */
  update(spec: GroupSpec): void;
  pause(): void;
  resume(): void;
  status(): GroupStatus;
  /** `status()` without the instances: what a fleet-wide status lists, whatever the group's size. */
  summary(): GroupSummary;
  /** The instances in ID order, sorted at most once per look (the instance pages read this). */
  instances(): readonly InstanceStatus[];
  /** One instance by ID, if the last look listed it. */
  instance(id: string): InstanceStatus | undefined;
  /** One reconcile pass (observe → plan → act); used by tests and by `tickNow` wake-ups. */
  tick(): Promise<void>;
  /**
   * Drains and destroys every instance of the group through the tick (the planner's
   * `destroy-all` mode: journal intent, limiter, drain, events), then stops. Rejects with
   * `unavailable` when repeated rounds fail.
   */
  destroyAll(signal?: AbortSignal): Promise<void>;
  /**
   * Destroys exactly these instances through the tick (journal intent, limiter, drain, events).
   * They are recorded in the journal first; then `recorded` runs (the manager commits the smaller
   * size there), so neither a failed destroy nor a new leader can make the planner pick others.
   * Resolves once none of them is left; rejects with `unavailable` after repeated failures, and
   * then later ticks keep destroying those same instances.
   */
  destroyInstances(ids: readonly InstanceId[], options?: DestroyInstancesOptions): Promise<void>;
}

export interface DestroyInstancesOptions {
  /** Runs once the instances are recorded in the journal, before any is destroyed. */
  recorded?: () => Promise<void>;
}
