import type { AuditLog, TokenStore } from '../../auth/index.js';
import type { GroupId, InstanceId, InstancePlugin, LeaderInfo } from '../../spi/index.js';
import type {
  ApplyView,
  CommitMeta,
  EventQuery,
  GroupView,
  HistoryView,
  InstancePage,
  InstanceView,
  LeaderView,
  MetricsHistoryView,
  OkView,
  PageQuery,
  SequencedEvent,
  StatusView,
} from '../index.js';
import type { EventFeed, StatusFeed } from './event-stream.js';
import type { ReadCache } from './read-cache.js';

/** What the HTTP face needs besides the manager's reads and writes. */
export interface ApiServices {
  tokens: Pick<TokenStore, 'verify' | 'list' | 'create' | 'revoke'>;
  audit: Pick<AuditLog, 'append' | 'recent'>;
  events: EventFeed;
  metrics: { render(): Promise<string>; readonly contentType: string };
  statusFeed: StatusFeed;
  /**
   * Serialized read answers. Only the manager drops them (after its writes and its events), so
   * the server never invalidates: a write it forwards is read back from the leader, which a
   * standby asks first.
   */
  reads: ReadCache;
}

/**
 * Everything the HTTP server, its routes and its forwarding use of a manager, and nothing more:
 * the server depends on this, never on the `Manager` class, which implements it. Reads and
 * writes fail with a `TendError` (`not_found`, `not_leader`, `invalid_spec`, …) that the server
 * turns into its HTTP status; a write on a standby fails `not_leader`, and the server forwards it.
 */
export interface ManagerApi {
  /** This manager's name, as leadership reports it (a forward carries it, never to itself). */
  readonly name: string;
  readonly services: ApiServices;
  isLeader(): boolean;
  /** The leader as the backend says; undefined when there is none or the lookup failed. */
  leaderInfo(): Promise<LeaderInfo | undefined>;
  /** Like `leaderInfo`, or the leader last known when the backend does not answer within `waitMs`. */
  leaderInfoWithin(waitMs: number): Promise<LeaderInfo | undefined>;

  leaderView(): Promise<LeaderView>;
  status(): Promise<StatusView>;
  recentEvents(query?: EventQuery): SequencedEvent[];
  metricsHistory(): MetricsHistoryView;
  groupView(id: GroupId): Promise<GroupView>;
  instances(id: GroupId, query: PageQuery): Promise<InstancePage>;
  instance(id: InstanceId): Promise<InstanceView>;
  history(id: GroupId): Promise<HistoryView>;
  /**
   * The instance plugin that keeps `instance`'s logs: `not_found` for a group or an instance this
   * manager cannot place, or a plugin without `Instance.Logs`.
   */
  logsPlugin(group: GroupId, instance: InstanceId): Promise<InstancePlugin>;

  apply(document: string, meta: CommitMeta & { dryRun?: boolean | undefined }): Promise<ApplyView>;
  scale(id: GroupId, size: number, meta?: CommitMeta): Promise<OkView>;
  pauseRollout(id: GroupId): Promise<OkView>;
  resumeRollout(id: GroupId): Promise<OkView>;
  undoRollout(id: GroupId, meta?: CommitMeta): Promise<OkView>;
  destroyGroup(id: GroupId, meta?: CommitMeta): Promise<OkView>;
  destroyInstances(id: GroupId, instances: readonly InstanceId[], meta?: CommitMeta): Promise<OkView>;
  freeGroup(id: GroupId, meta?: CommitMeta): Promise<OkView>;
}
