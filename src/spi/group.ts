import type { Allocation, Health } from './flavor.js';
import type { InstanceLocation } from './instance.js';
import type { GroupId, InstanceId, JsonValue, LogicalId, Tags } from './types.js';

export type ScaleInOrder = 'oldest' | 'newest' | 'unhealthy-first';
export type OnFailure = 'pause' | 'rollback';

/** A group spec in its resolved form: defaults filled in, durations in milliseconds. */
export interface GroupSpec {
  id: GroupId;
  allocation: Allocation;
  instance: PluginRef;
  flavor: PluginRef;
  health: HealthPolicy;
  update: UpdatePolicy;
  scaleIn: { order: ScaleInOrder };
}

export interface PluginRef {
  /** Plugin name, `name` or `lookup/type`. */
  plugin: string;
  properties?: JsonValue;
}

export interface HealthPolicy {
  /** Time after creation during which an unhealthy report is ignored. */
  graceMs: number;
  /** How long an instance must stay unhealthy before it is replaced. */
  unhealthyAfterMs: number;
  /** Replacements (heal) in flight at once. */
  maxInFlight: number;
}

export interface UpdatePolicy {
  maxSurge: number;
  maxUnavailable: number;
  /** A new instance counts as done once healthy this long. */
  healthyForMs: number;
  timeoutMs: number;
  onFailure: OnFailure;
}

export type GroupPhase =
  | 'converging'
  | 'converged'
  | 'rolling'
  | 'paused'
  | 'breaker-open'
  | 'destroying'
  | 'blind' // the last describe failed: Tend acts on nothing until it can see again
  | 'damaged' // the stored spec cannot be read: the group is not run until it is repaired
  | 'refused'; // the stored spec is above this manager's limits: not run until one within them is applied

export interface InstanceStatus {
  id: InstanceId;
  logicalId?: LogicalId;
  config: string;
  health: Health;
  /**
   * Milliseconds since epoch when the platform created it (`InstanceDescription.createdAt`), or
   * when Tend first saw it (or created it) if the plugin cannot tell.
   */
  createdAt?: number;
  tags: Tags;
  /** Where it lives, as its plugin described it (`InstanceDescription.location`). */
  location?: InstanceLocation;
}

export interface RolloutStatus {
  fromConfig: string;
  toConfig: string;
  state: 'running' | 'paused' | 'rolling-back' | 'done' | 'failed';
  updated: number;
  total: number;
  startedAt: number;
  reason?: string;
}

/** A group's state without its instances: what `GET /v1/status` lists, whatever the group's size. */
export interface GroupSummary {
  id: GroupId;
  phase: GroupPhase;
  desired: number;
  observed: number;
  healthy: number;
  config: string;
  byConfig: Readonly<Record<string, number>>;
  rollout?: RolloutStatus;
  breaker: { open: boolean; consecutiveFailures: number; reason?: string };
  paused: boolean;
  lastError?: string;
  lastTickAt?: number;
}

/** One field that differs between two spec documents (`tend plan`); `from` or `to` is absent when the field is. */
export interface FieldChange {
  path: string;
  from?: JsonValue;
  to?: JsonValue;
}

/** A group's state with every instance (in process; over HTTP the instances come in pages). */
export interface GroupStatus extends GroupSummary {
  instances: readonly InstanceStatus[];
}

/** `status` without its instances. */
export function summaryOf(status: GroupStatus): GroupSummary {
  const { instances: _instances, ...summary } = status;
  return summary;
}

/** InfraKit's `Group.*` service, as the manager serves it on the `group` socket. */
export interface GroupPlugin {
  commitGroup(spec: { id: string; properties: JsonValue }, pretend: boolean): Promise<string>;
  freeGroup(id: GroupId): Promise<void>;
  destroyGroup(id: GroupId): Promise<void>;
  describeGroup(id: GroupId): Promise<{ instances: InstanceStatus[]; converged: boolean }>;
  inspectGroups(): Promise<Array<{ id: GroupId; properties: JsonValue }>>;
  destroyInstances(id: GroupId, instances: readonly InstanceId[]): Promise<void>;
  size(id: GroupId): Promise<number>;
  setSize(id: GroupId, size: number): Promise<void>;
}

export type GroupEventType =
  | 'created'
  | 'destroyed'
  | 'vanished'
  | 'unhealthy'
  | 'replaced'
  | 'provision-failed'
  | 'rollout-started'
  | 'rollout-step'
  | 'rollout-done'
  | 'rollout-paused'
  | 'rollout-rollback'
  | 'breaker-open'
  | 'breaker-closed'
  | 'blind'
  | 'damaged'
  | 'refused'
  | 'leader-changed'
  /** A spec revision was stored (apply, scale, undo, rollback, destroy, free): who, what, revision in `data`. */
  | 'committed';

export interface GroupEvent {
  type: GroupEventType;
  groupId: GroupId;
  instanceId?: InstanceId;
  message: string;
  /** Milliseconds since epoch. */
  at: number;
  data?: Readonly<Record<string, JsonValue>>;
}
