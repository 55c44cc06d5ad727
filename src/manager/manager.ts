import { type ApiServer, type ManagerApi, startApiServer } from '../api/server/index.js';
import {
  createPluginLimiter,
  DEFAULT_TICK_INTERVAL_MS,
  type DescribeCoalescerStats,
  type PluginLimiter,
  type RollbackNotice,
} from '../group/index.js';
import { KeyedSerial, type Logger, within } from '../lib/index.js';
import {
  type GroupEvent,
  type GroupId,
  type GroupSpec,
  type InstanceId,
  type InstancePlugin,
  type LeaderInfo,
  type Leadership,
  type LeaderTerm,
  type PluginResolver,
  type SpecRevision,
  summaryOf,
  TendError,
  toTendError,
} from '../spi/index.js';
import type {
  ApplyView,
  CommitMeta,
  GroupDetail,
  GroupView,
  HistoryView,
  InstancePage,
  InstanceView,
  LeaderView,
  ManagerSelf,
  OkView,
  StatusView,
} from './api-types.js';
import { campaignLoop, leaderChangedEvent, runTerm } from './campaign.js';
import type { EventQuery, SequencedEvent } from './event-ring.js';
import {
  checkApply,
  commitApply,
  commitRollback,
  destroyInstances,
  dryRunApply,
  type OperationsContext,
  removeGroup,
  scaleGroup,
  setPaused,
  undoRollout,
} from './group-operations.js';
import { instrumentResolver, observedControllers } from './instrumented-plugins.js';
import { LeaderSession } from './leader-session.js';
import { pluginForInstance } from './logs-plugin.js';
import {
  type ManagerOptions,
  type ResolvedManagerOptions,
  resolveManagerOptions,
} from './manager-options.js';
import { type ManagerServices, openServices } from './manager-services.js';
import { type ManagerState, managerLifecycle } from './manager-state.js';
import type { MetricsHistoryView } from './metrics-history.js';
import { PluginDescribers } from './plugin-describers.js';
import { specFromRevision } from './spec-codec.js';
import { StandbyView } from './standby-view.js';
import { boundSummary, type PageQuery, pageInstances } from './status-summary.js';

/** `GET /v1/status` answers within a second whatever etcd does: its backend reads get this long. */
const STATUS_WAIT_MS = 250;

/** How old a standby's own view of the store may grow (see `StandbyView`). */
const STANDBY_VIEW_REFRESH_MS = 5000;

/**
 * A Tend manager: campaigns for leadership and, while leader, runs one controller per group.
 * Serves the HTTP API all the time; a standby answers reads and forwards writes to the leader.
 *
 * Lifecycle: `create()` binds the API (state `created`) → `start()` (`running`) →
 * `stop()` (`stopping` → `stopped`). Instances keep running when a manager stops.
 */
export class Manager implements ManagerApi {
  private readonly options: ResolvedManagerOptions;
  private readonly log: Logger;
  /**
   * One write queue per group: two commits for a group never interleave, and a long `destroy`
   * of one group never holds `pause` (the emergency brake) or any write of another group.
   */
  private readonly writes = new KeyedSerial();
  /** Per instance plugin, kept across terms: the provider's quota does not reset on failover. */
  private readonly limiters = new Map<string, PluginLimiter>();
  private describersValue: PluginDescribers | undefined;
  private countedResolverValue: PluginResolver | undefined;
  private readonly stopController = new AbortController();
  private readonly lifecycle = managerLifecycle();
  private session: LeaderSession | undefined;
  private loop: Promise<void> | undefined;
  private api: ApiServer | undefined;
  private leadershipBackend: Leadership | undefined;
  private closeGroupSocket: (() => Promise<void>) | undefined;
  private servicesValue: ManagerServices | undefined;
  /** The last leader and standby groups read, for a status that must not wait on a stuck backend. */
  private lastLeader: LeaderInfo | undefined;
  private readonly standbyView: StandbyView;
  private standbyRefresh: Promise<void> | undefined;
  private localTokenValue = '';

  private constructor(options: ResolvedManagerOptions) {
    this.options = options;
    this.log = options.logger.child({ component: 'manager' });
    this.standbyView = new StandbyView({
      store: options.store,
      clock: options.clock,
      refreshMs: STANDBY_VIEW_REFRESH_MS,
    });
  }

  /**
   * An admin token that lives as long as this process, for the manager's own HTTP clients
   * (`tend up`'s progress view). Never written anywhere; read-only outside the manager.
   */
  get localToken(): string {
    return this.localTokenValue;
  }

  /** Builds a manager and binds its HTTP API (and Group socket), without campaigning yet. */
  static async create(options: ManagerOptions): Promise<Manager> {
    const manager = new Manager(resolveManagerOptions(options));
    manager.servicesValue = await openServices({
      ...manager.options,
      snapshot: () => manager.metricsSnapshot(),
      status: () => manager.status(),
    });
    manager.localTokenValue = manager.services.tokens.mintEphemeral(`manager:${manager.name}`, 'admin');
    try {
      await manager.bind();
    } catch (error) {
      // Half a manager (an API port bound, no group socket) must not outlive its failed start.
      await manager.release();
      throw error;
    }
    return manager;
  }

  /** The API server, the leadership backend and the group socket, in that order. */
  private async bind(): Promise<void> {
    const { listen, bodyLimitBytes, tls, staticHandler, anonymousMetricsOnLoopback } = this.options;
    this.api = await startApiServer(this, {
      ...listen,
      tls,
      staticHandler,
      anonymousMetricsOnLoopback,
      bodyLimitBytes,
      logger: this.options.logger,
    });
    this.leadershipBackend = this.options.leadership({ address: this.address });
    if (this.options.groupSocket !== undefined) {
      const { serveGroupSocket } = await import('./group-socket.js');
      this.closeGroupSocket = await serveGroupSocket({
        ...this.options.groupSocket,
        manager: this,
        audit: (entry) => this.services.audit.append(entry),
        logger: this.options.logger,
      });
    }
  }

  get state(): ManagerState {
    return this.lifecycle.state;
  }

  get name(): string {
    return this.options.name;
  }

  /** Tokens, audit log, event log, metrics. */
  get services(): ManagerServices {
    if (this.servicesValue === undefined) throw new TendError('unavailable', 'manager is not created yet');
    return this.servicesValue;
  }

  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:7420`. */
  get address(): string {
    if (this.api === undefined) throw new TendError('unavailable', 'manager API is not listening');
    return this.api.url;
  }

  private get leadership(): Leadership {
    if (this.leadershipBackend === undefined)
      throw new TendError('unavailable', 'manager is not created yet');
    return this.leadershipBackend;
  }

  isLeader(): boolean {
    return this.session !== undefined && !this.session.signal.aborted;
  }

  /** Starts campaigning for leadership in the background. */
  start(): void {
    this.transition('running');
    this.loop = campaignLoop({
      leadership: this.leadership,
      clock: this.options.clock,
      logger: this.log,
      signal: this.stopController.signal,
      lead: (term) => this.lead(term),
    }).catch((error: unknown) => {
      this.log.error('manager failed', { error: toTendError(error).message });
      this.transition('failed');
    });
    this.standbyRefresh = this.standbyView.keepFresh(() => this.isLeader(), this.stopController.signal);
  }

  /** Stops every controller, resigns, closes the API. Instances keep running by design. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.transition('stopping');
    this.stopController.abort(new TendError('unavailable', 'manager stopping'));
    await this.loop;
    await this.standbyRefresh;
    await this.release();
    this.transition('stopped');
    this.log.info('stopped');
  }

  /** Closes whatever `create` opened; safe on a manager that was only half created. */
  private async release(): Promise<void> {
    if (this.options.ownsLeadership) await this.leadershipBackend?.close().catch(() => undefined);
    await this.closeGroupSocket?.();
    this.servicesValue?.statusFeed.stop();
    this.servicesValue?.metrics.history.stop();
    await this.api?.close();
    await this.servicesValue?.events.close();
  }

  async leaderView(): Promise<LeaderView> {
    return { self: this.self(), leader: (await this.leaderInfo()) ?? null };
  }

  /**
   * The leader as last known, when the leadership backend does not answer within `waitMs`
   * (etcd paused or cut off): a read answers on time with slightly old news instead of hanging
   * for as long as the backend does.
   */
  async leaderInfoWithin(waitMs: number): Promise<LeaderInfo | undefined> {
    const lookup = this.leaderInfo().then((leader) => {
      this.lastLeader = leader;
      return leader;
    });
    return within(lookup, waitMs, () => this.lastLeader);
  }

  /** Where the leader is, as the leadership backend says; undefined when there is none. */
  async leaderInfo(): Promise<LeaderInfo | undefined> {
    const session = this.session;
    if (session !== undefined && !session.signal.aborted) {
      return { name: this.options.name, address: this.address, epoch: session.epoch };
    }
    try {
      return await this.leadership.leader();
    } catch (error) {
      this.log.warn('leader lookup failed', { error: toTendError(error).message });
      return undefined;
    }
  }

  /** All groups with live status. On a standby, the groups from the store without live status. */
  async status(): Promise<StatusView> {
    const leader = this.leaderInfoWithin(STATUS_WAIT_MS);
    const session = this.session;
    if (session !== undefined) {
      return {
        self: this.self(),
        leader: (await leader) ?? null,
        groups: session.summaries().map(boundSummary),
      };
    }
    // A standby reads the store; a store that does not answer in time (etcd paused) gets the
    // groups as last read, each saying so, rather than a status that hangs with it. Both reads
    // run at once, so the whole answer waits STATUS_WAIT_MS at most.
    const groups = this.standbyView.groups(STATUS_WAIT_MS);
    const summaries = (await groups).map((g) => boundSummary(summaryOf(g)));
    return { self: this.self(), leader: (await leader) ?? null, groups: summaries };
  }

  /**
   * The declared spec of every live group, sorted by ID: the leader's in memory, a standby's read
   * from the store (an unreadable stored spec is left out, as the leader leaves it unmanaged).
   */
  async specs(): Promise<GroupSpec[]> {
    const session = this.session;
    if (session !== undefined) {
      return session
        .entries()
        .map((entry) => entry.spec)
        .sort((a, b) => a.id.localeCompare(b.id));
    }
    return (await this.options.store.list()).flatMap((revision) => {
      try {
        return [specFromRevision(revision)];
      } catch {
        return [];
      }
    });
  }

  /** A group's spec and live status with every instance, in process (the group socket, tests). */
  async group(id: GroupId): Promise<GroupDetail> {
    const revision = await this.latest(id);
    return { id, revision, status: this.session?.status(id) ?? null };
  }

  /** `GET /v1/groups/:id`: the spec and the live summary; the instances come in pages. */
  async groupView(id: GroupId): Promise<GroupView> {
    const revision = await this.latest(id);
    const summary = this.session?.summary(id);
    return { id, revision, status: summary === undefined ? null : boundSummary(summary) };
  }

  /** `GET /v1/groups/:id/instances`: one page of the group's live instances, in ID order. */
  async instances(id: GroupId, query: PageQuery): Promise<InstancePage> {
    await this.latest(id);
    return pageInstances(id, this.session?.instances(id) ?? [], query);
  }

  /** `GET /v1/instances/:instance`: the group an instance is in, found in memory, not by pages. */
  async instance(id: InstanceId): Promise<InstanceView> {
    const found = this.session?.findInstance(id);
    if (found === undefined)
      throw new TendError('not_found', `no instance ${id} in the last look of any group`);
    return found;
  }

  private async latest(id: GroupId): Promise<SpecRevision> {
    const revision = await this.options.store.latest(id);
    if (revision === undefined || revision.deleted === true)
      throw new TendError('not_found', `no group ${id}`);
    return revision;
  }

  async history(id: GroupId): Promise<HistoryView> {
    const revisions: SpecRevision[] = await this.options.store.history(id);
    if (revisions.length === 0) throw new TendError('not_found', `no group ${id}`);
    return { id, revisions };
  }

  /** The last hour of counts, provider calls and reconcile times this manager kept in memory. */
  metricsHistory(): MetricsHistoryView {
    return this.services.metrics.history.view();
  }

  /** The plugin `GET …/instances/:instance/logs` reads through (logs-plugin.ts). */
  logsPlugin(group: GroupId, instance: InstanceId): Promise<InstancePlugin> {
    const source = {
      store: this.options.store,
      resolver: this.countedResolver,
      status: (id: GroupId) => this.session?.status(id) ?? undefined,
      events: (query: EventQuery) => this.services.events.query(query),
    };
    return pluginForInstance(source, group, instance);
  }

  recentEvents(query: EventQuery = {}): SequencedEvent[] {
    return this.services.events.query(query);
  }

  /**
   * Parses and validates outside any queue (plugins may be slow to validate), then commits
   * holding the queues of the document's groups only.
   */
  async apply(document: string, meta: CommitMeta & { dryRun?: boolean | undefined }): Promise<ApplyView> {
    const checked = await this.leading((ctx) => checkApply(ctx, document));
    if (meta.dryRun === true) return this.leading(async (ctx) => dryRunApply(ctx, checked));
    const ids = checked.map((c) => c.spec.id);
    return this.write(ids, (ctx) => commitApply(ctx, checked, meta));
  }

  scale(id: GroupId, size: number, meta: CommitMeta = {}): Promise<OkView> {
    return this.write([id], (ctx) => scaleGroup(ctx, id, size, meta));
  }

  pauseRollout(id: GroupId): Promise<OkView> {
    return this.write([id], async (ctx) => setPaused(ctx, id, true));
  }

  resumeRollout(id: GroupId): Promise<OkView> {
    return this.write([id], async (ctx) => setPaused(ctx, id, false));
  }

  undoRollout(id: GroupId, meta: CommitMeta = {}): Promise<OkView> {
    return this.write([id], (ctx) => undoRollout(ctx, id, meta));
  }

  destroyGroup(id: GroupId, meta: CommitMeta = {}): Promise<OkView> {
    return this.write([id], (ctx) => removeGroup(ctx, id, 'destroy', meta));
  }

  destroyInstances(id: GroupId, instances: readonly InstanceId[], meta: CommitMeta = {}): Promise<OkView> {
    return this.write([id], (ctx) => destroyInstances(ctx, id, instances, meta));
  }

  freeGroup(id: GroupId, meta: CommitMeta = {}): Promise<OkView> {
    return this.write([id], (ctx) => removeGroup(ctx, id, 'free', meta));
  }

  private self(): ManagerSelf {
    const session = this.session;
    const leading = session !== undefined && !session.signal.aborted;
    return {
      name: this.options.name,
      role: leading ? 'leader' : 'standby',
      address: this.api?.url ?? '',
      ...(leading ? { epoch: session.epoch } : {}),
    };
  }

  /** Runs a write on the leader, one at a time per group it names (KeyedSerial). */
  private write<T>(
    groups: readonly GroupId[],
    operation: (ctx: OperationsContext) => Promise<T>,
  ): Promise<T> {
    return this.writes.run(groups, async () => {
      try {
        return await this.leading(operation);
      } finally {
        // Reads after this write must see it: its groups' answers and the status are dropped.
        for (const group of groups) this.services.changed(group);
      }
    });
  }

  /** Runs `operation` with the current leader session; a standby refuses with `not_leader`. */
  private async leading<T>(operation: (ctx: OperationsContext) => Promise<T>): Promise<T> {
    const session = this.session;
    if (session === undefined || session.signal.aborted) {
      const leader = await this.leaderInfo();
      throw new TendError('not_leader', `${this.options.name} is not the leader`, {
        details: leader === undefined ? {} : { leader },
      });
    }
    try {
      return await operation({
        store: this.options.store,
        resolver: this.countedResolver,
        session,
        defaultAuthor: this.options.defaultAuthor,
        maxGroupSize: this.options.maxGroupSize,
        now: () => this.options.clock.now(),
        maxActionsPerTick: this.options.maxActionsPerTick,
        record: (event) => this.record(event),
      });
    } catch (error) {
      if (TendError.is(error, 'fenced')) session.fenced(error);
      throw error;
    }
  }

  /** In the background, like the rollback itself; a term that ends first leaves it to the next leader. */
  private commitRollback(rollback: RollbackNotice): void {
    this.write([rollback.spec.id], (ctx) => commitRollback(ctx, rollback)).catch((error: unknown) => {
      this.log.warn('rollback not committed', { group: rollback.spec.id, error: toTendError(error).message });
    });
  }

  /** Describe calls per plugin and the group describes they answered (benchmarks read this). */
  describeStats(): Record<string, DescribeCoalescerStats> {
    return this.describers.stats();
  }

  private get describers(): PluginDescribers {
    this.describersValue ??= new PluginDescribers({
      limiterFor: (plugin) => this.limiterFor(plugin),
      clock: this.options.clock,
      metrics: this.services.metrics,
      windowMs: this.options.describeWindowMs,
      alignedFor: (plugin) => this.isCloud(plugin),
      tickIntervalMs: this.options.tickIntervalMs ?? DEFAULT_TICK_INTERVAL_MS,
    });
    return this.describersValue;
  }

  /**
   * The resolver for plugin calls made outside any controller (validation, logs), counted in
   * `tend_provider_calls_total`; controllers report their own calls through their observer.
   */
  private get countedResolver(): PluginResolver {
    this.countedResolverValue ??= instrumentResolver(this.options.resolver, this.services.metrics);
    return this.countedResolverValue;
  }

  /** A plugin of a cloud kind (EC2): paced to the API's buckets, its groups tick in step. */
  private isCloud(plugin: string): boolean {
    return this.limiterFor(plugin).pacing === 'cloud';
  }

  private limiterFor(plugin: string): PluginLimiter {
    let limiter = this.limiters.get(plugin);
    if (limiter === undefined) {
      limiter = createPluginLimiter({ ...this.options.pluginLimitsFor(plugin), clock: this.options.clock });
      this.limiters.set(plugin, limiter);
    }
    return limiter;
  }

  private record(event: GroupEvent): void {
    this.services.events.push(event);
    this.services.metrics.event(event.type);
  }

  private metricsSnapshot() {
    const session = this.session;
    const leading = session !== undefined && !session.signal.aborted;
    return { leading, epoch: leading ? session.epoch : 0, groups: leading ? session.summaries() : [] };
  }

  /** One leader term; resolves true if it ended without an error of ours. */
  private async lead(term: LeaderTerm): Promise<boolean> {
    const session = new LeaderSession({
      name: this.options.name,
      term,
      store: this.options.store,
      resolver: this.options.resolver,
      createController: observedControllers(this.options.createController, this.services.metrics),
      limiterFor: (plugin) => this.limiterFor(plugin),
      describerFor: (plugin, instancePlugin) => this.describers.for(plugin, instancePlugin),
      alignTicksFor: (plugin) => this.isCloud(plugin),
      clock: this.options.clock,
      logger: this.options.logger,
      tickIntervalMs: this.options.tickIntervalMs,
      maxGroupSize: this.options.maxGroupSize,
      maxActionsPerTick: this.options.maxActionsPerTick,
      retryIntervalMs: this.options.retryIntervalMs,
      onEvent: (event) => this.record(event),
      onRollback: (rollback) => this.commitRollback(rollback),
      stopSignal: this.stopController.signal,
    });
    return runTerm(session, term, {
      logger: this.log,
      onActive: () => {
        this.session = session;
        this.record(leaderChangedEvent(this.name, term.epoch, 'elected', this.options.clock.now()));
      },
      onEnded: (wasActive) => {
        this.session = undefined;
        if (wasActive) this.standbyView.keepFromLeader(session.summaries());
        if (wasActive)
          this.record(leaderChangedEvent(this.name, term.epoch, 'stepped-down', this.options.clock.now()));
      },
    });
  }

  private transition(next: ManagerState): void {
    this.lifecycle.to(next);
  }
}
