import type { GroupSpec, Health, InstanceId, LogicalId } from '../../spi/index.js';

/** One instance as the planner sees it: the describe answer joined with the health history. */
export interface ObservedInstance {
  id: InstanceId;
  logicalId?: LogicalId;
  /** Config hash from `tend.config` (or `infrakit.config_sha`); '' when untagged. */
  config: string;
  /** The idempotency key it was created with (`tend.op`), when Tend created it. */
  op?: string;
  health: Health;
  /**
   * When the platform created it (`InstanceDescription.createdAt`) if the plugin tells and that is
   * earlier, else when Tend created or first saw it (ms since epoch). Grace counts from here.
   */
  firstSeen: number;
  /** Start of the current unhealthy streak. */
  unhealthySince?: number;
  /** Start of the current healthy streak. */
  healthySince?: number;
}

export type RolloutPhase = 'running' | 'paused' | 'rolling-back' | 'done' | 'failed';

export interface RolloutState {
  fromConfig: string;
  toConfig: string;
  /** The spec of `fromConfig`, known when the rollout began from `update()`: rollback re-targets it. */
  previousSpec?: GroupSpec;
  /** While rolling back: the spec being restored (the controller plans against it). */
  targetSpec?: GroupSpec;
  startedAt: number;
  state: RolloutPhase;
  reason?: string;
}

export type BreakerStatus = 'closed' | 'open' | 'half-open';

export interface BreakerState {
  status: BreakerStatus;
  /** Replacements that failed in a row (provision errors, replacements that never became healthy). */
  consecutiveFailures: number;
  openedAt?: number;
  reason?: string;
  /** Half-open: the single trial replacement has been issued; wait for its verdict. */
  probeIssued?: boolean;
  /** What the last counted failure was, for the reason status gives. */
  lastFailure?: string;
  /** How many of `consecutiveFailures` were instances that exited by themselves before they were stable. */
  earlyExits?: number;
  /**
   * Closed with failures counted: no replacement before this time (ms since epoch), a full-jitter
   * backoff after the last failure. The planner holds back, whatever woke the loop.
   */
  retryAt?: number;
  /**
   * The platform rejected this config as invalid (`invalid_spec`): retrying cannot help, so the
   * breaker stays open with no trial until the target config changes or the operator resumes.
   */
  rejectedConfig?: string;
}

/** What the planner needs beyond the observation; the controller persists it in the journal. */
export interface PlannerState {
  /** Paused by the operator or by a failed rollout: no actions at all. */
  paused: boolean;
  rollout?: RolloutState;
  breaker: BreakerState;
  /** Highest generation seen per slot (slot number or logical ID), so a replacement gets a fresh key. */
  generations: Readonly<Record<string, number>>;
  /**
   * Instances the operator named for destruction (destroy-these-instances), kept in the journal
   * until none of them is observed any more. Every tick destroys exactly these first, paused or
   * not, and plans everything else as if they were gone: a failed destroy is retried, never
   * traded for another victim of the (already smaller) size.
   */
  victims?: readonly InstanceId[];
  /**
   * The instances the last complete describe listed, less those that tick went on to destroy;
   * sorted. A new leader (or this one after a restart) compares its first complete describe
   * with it: each one missing went while no leader watched the group, and is reported `vanished`.
   */
  listed?: readonly InstanceId[];
}

export interface PlanLimits {
  /** Consecutive failed replacements that open the breaker. */
  breakerThreshold: number;
  /** How long the breaker stays open before one trial replacement (half-open). */
  breakerCoolDownMs: number;
  /**
   * Provisions and destroys planned in one tick, at most; the next tick continues. Keeps a tick's
   * cost (CPU, memory, queued calls) bounded whatever the group's size.
   */
  maxActionsPerTick: number;
}

export const DEFAULT_MAX_ACTIONS_PER_TICK = 1_000;

export const defaultPlanLimits: PlanLimits = {
  breakerThreshold: 5,
  breakerCoolDownMs: 60_000,
  maxActionsPerTick: DEFAULT_MAX_ACTIONS_PER_TICK,
};

/**
 * `converge`: towards the spec (the normal tick). `destroy-all`: every observed instance goes
 * (`tend destroy`), paused or not, breaker or not, and nothing is created.
 */
export type PlanMode = 'converge' | 'destroy-all';

export interface PlanInput {
  /** The spec being converged to (while rolling back: the restored one). */
  spec: GroupSpec;
  /** `configHash(spec)`. */
  targetConfig: string;
  observed: readonly ObservedInstance[];
  now: number;
  state: PlannerState;
  limits?: PlanLimits;
  /** Default `converge`. */
  mode?: PlanMode;
}

/**
 * `group-destroy`: the whole group goes (destroy-all); `terminate`: the operator named the
 * instance (destroy-these-instances, InfraKit's word for it). A failed drain stops neither.
 */
export type DestroyReason = 'heal' | 'scale-in' | 'rollout' | 'duplicate' | 'group-destroy' | 'terminate';
export type ProvisionReason = 'missing' | 'heal' | 'rollout';

export interface ProvisionAction {
  type: 'provision';
  /** Idempotency key, sent as `tend.op`; the same need on the next tick yields the same key. */
  key: string;
  config: string;
  slot?: number;
  logicalId?: LogicalId;
  reason: ProvisionReason;
  /** Only provision once this destroy has succeeded (it makes the room this instance needs). */
  replaces?: InstanceId;
}

export interface DestroyAction {
  type: 'destroy';
  instanceId: InstanceId;
  reason: DestroyReason;
}

export type TransitionAction =
  | { type: 'rollout-start'; fromConfig: string; toConfig: string }
  | { type: 'rollout-done' }
  | { type: 'rollout-failed'; onFailure: 'pause' | 'rollback'; reason: string }
  | { type: 'breaker-open'; reason: string }
  | { type: 'breaker-half-open' };

export type Action = ProvisionAction | DestroyAction | TransitionAction;
