// The manager's HTTP API as its clients see it: the shapes of its answers and of the metadata a
// write carries. No dependencies, so the CLI can talk to a manager without loading the manager.
import type {
  FieldChange,
  GroupEvent,
  GroupSummary,
  InstanceStatus,
  JsonValue,
  LeaderInfo,
  SpecRevision,
} from '../spi/index.js';

export type ManagerRole = 'leader' | 'standby';

export interface ManagerSelf {
  name: string;
  role: ManagerRole;
  /** Base URL of this manager's API. */
  address: string;
  /** The epoch this manager leads at, when leader. */
  epoch?: number;
}

export interface LeaderView {
  self: ManagerSelf;
  leader: LeaderInfo | null;
}

/** Every group's summary (counts, phase, rollout, breaker): no instances, at most 512 bytes a group. */
export interface StatusView extends LeaderView {
  groups: GroupSummary[];
}

/**
 * `event: status-delta` on `GET /v1/events/stream?status=delta`: the status's own fields, the
 * summaries that changed or came since the last status or delta, and the IDs of groups gone.
 * Applied in order to the first `event: status` it gives the current status (`applyStatusDelta`).
 */
export interface StatusDelta extends LeaderView {
  changed: GroupSummary[];
  removed: string[];
}

export interface GroupView {
  id: string;
  /** The latest committed revision (what the user declared). */
  revision: SpecRevision;
  /** Live summary from the leader; null when no leader could be asked. Instances: `InstancePage`. */
  status: GroupSummary | null;
}

/**
 * `GET /v1/groups/:id/instances?limit&cursor`: a group's instances in ID order, a page at a time.
 * `next` is present while more follow: pass it as `cursor`. On a manager with no live status of
 * the group (a standby without a leader) the page is empty.
 */
export interface InstancePage {
  id: string;
  /** How many instances the group has now. */
  total: number;
  instances: InstanceStatus[];
  next?: string;
}

/** `GET /v1/instances/:instance`: the group an instance is in, and the instance as last seen. */
export interface InstanceView {
  group: string;
  instance: InstanceStatus;
}

export interface RolloutPreview {
  fromConfigs: string[];
  toConfig: string;
  /** Instances on an old config that a rollout replaces. */
  instances: number;
  /** How many instances each step replaces, in order. */
  batches: number[];
}

export interface GroupPlanPreview {
  id: string;
  change: 'create' | 'update' | 'unchanged';
  config: string;
  desired: number;
  observed: number;
  creates: number;
  destroys: number;
  rollout?: RolloutPreview;
  /** For a group that exists: the spec's fields that would change, leaf by leaf. */
  fields?: FieldChange[];
}

export interface AppliedGroup {
  id: string;
  change: 'created' | 'updated' | 'unchanged';
  config: string;
  revision: number;
}

export interface ApplyView {
  dryRun: boolean;
  groups: AppliedGroup[];
  /** Present for dry runs: what the controllers would do. */
  plan?: GroupPlanPreview[];
}

export interface EventsView {
  events: Array<GroupEvent & { seq: number }>;
}

export interface HistoryView {
  id: string;
  revisions: SpecRevision[];
}

export interface OkView {
  ok: true;
  id: string;
  revision?: number;
  message: string;
}

export interface ErrorBody {
  error: { kind: string; message: string; details?: Record<string, JsonValue> };
}

/** Who changed what, as recorded in history. */
export interface CommitMeta {
  author?: string | undefined;
  reason?: string | undefined;
  /**
   * The name of the bearer token that asked, set by the manager from the request (never read
   * from a body): the author is the client's word, the token is who was let in.
   */
  token?: string | undefined;
}

/** Body of the actions that take no argument (rollout pause/resume/undo, destroy, free). */
export interface ActionBody {
  author?: string | undefined;
  reason?: string | undefined;
}

/** viewer reads; operator scales and rolls; admin applies, destroys and manages tokens. */
export type Role = 'viewer' | 'operator' | 'admin';
export const roles: readonly Role[] = ['viewer', 'operator', 'admin'];

export interface Principal {
  name: string;
  role: Role;
}

export interface TokenInfo extends Principal {
  createdAt: string;
}

/** A group event with its place in the manager's event log. */
export interface SequencedEvent extends GroupEvent {
  seq: number;
}

/** One write through the API: who (token name), what (route and group), when, and how it ended. */
export interface AuditEntry {
  at: string;
  who: string;
  role: string;
  /** `METHOD /route/pattern`, never the raw URL (a query string could carry a token). */
  what: string;
  /** What was asked, in the CLI's words: `plan`, `apply`, `scale`, `rollout undo`, `destroy`, `token create`… */
  action?: string;
  group?: string;
  /** The revision a spec commit made (apply, scale, undo, destroy). */
  revision?: number;
  /** For token operations: the token's name (never its secret). */
  target?: string;
  result: 'ok' | 'error';
  /** The error kind when `result` is `error`. */
  kind?: string;
  /** Set when a standby replayed the request on the leader. */
  forwardedTo?: string;
}

/** How a provider call ended, as `tend_provider_calls_total` labels it. */
export type CallResult = 'ok' | 'throttled' | 'exhausted' | 'error';

/** One interval of the last hour, as the dashboard's charts draw it. */
export interface MetricsPoint {
  /** Epoch ms at the end of the interval (for the open interval: now). */
  at: number;
  /** Per group, as the leader saw it when the interval closed. At most `MAX_GROUPS_PER_POINT`. */
  groups: Record<string, { healthy: number; desired: number; observed: number }>;
  /** Instance plugin calls that finished within the interval, by result. */
  providerCalls: Record<CallResult, number>;
  /** Observe phases (describe + health checks) of reconcile ticks that finished within it. */
  reconcile: { count: number; meanMs: number; maxMs: number };
  /** True for the interval still open when the answer was built. */
  partial?: boolean;
}

export interface MetricsHistoryView {
  intervalMs: number;
  /** How many closed intervals are kept; older ones are dropped. */
  capacity: number;
  /** Oldest first; the last one is the open interval. */
  points: MetricsPoint[];
}

/** Which recorded events to read (`GET /v1/events`, the event stream). */
export interface EventQuery {
  /** Only events with `seq > after`. */
  after?: number | undefined;
  /** At most this many: the newest ones. */
  limit?: number | undefined;
  group?: string | undefined;
  instance?: string | undefined;
}

/** One page of a group's instances (`GET /v1/groups/:id/instances`). */
export interface PageQuery {
  /** Instances per page; default 100, at most 1,000. */
  limit?: number | undefined;
  /** The `next` of the previous page; absent for the first. */
  cursor?: string | undefined;
}
