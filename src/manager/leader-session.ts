import { setMaxListeners } from 'node:events';
import {
  configHash,
  type Describer,
  desiredCount,
  type GroupController,
  type GroupControllerOptions,
  type PluginLimiter,
  type RollbackNotice,
} from '../group/index.js';
import type { Clock, Logger } from '../lib/index.js';
import {
  type ConfigStore,
  type GroupEvent,
  type GroupId,
  type GroupSpec,
  type GroupStatus,
  type GroupSummary,
  type InstanceId,
  type InstancePlugin,
  type InstanceStatus,
  type LeaderTerm,
  type PluginResolver,
  type SpecRevision,
  summaryOf,
  TendError,
  toTendError,
} from '../spi/index.js';
import { DamagedGroups, unobservedStatus } from './damaged-groups.js';
import { specFromRevision } from './spec-codec.js';
import { storeJournal } from './store-journal.js';

export interface LeaderSessionOptions {
  name: string;
  term: LeaderTerm;
  store: ConfigStore;
  resolver: PluginResolver;
  createController: (options: GroupControllerOptions) => GroupController;
  /** The limiter of an instance plugin, shared by all its groups. */
  limiterFor: (plugin: string) => PluginLimiter;
  /** The describe coalescer of an instance plugin, shared by all its groups. */
  describerFor: (plugin: string, instancePlugin: InstancePlugin) => Describer;
  /** Whether the groups on a plugin tick in step (a cloud kind's: their describes merge). */
  alignTicksFor: (plugin: string) => boolean;
  clock: Clock;
  logger: Logger;
  tickIntervalMs: number | undefined;
  /** A stored spec above this size (or count of logical IDs) is not run: see `load`. */
  maxGroupSize: number;
  maxActionsPerTick: number;
  /** How often a group whose plugins could not be resolved is tried again. */
  retryIntervalMs: number;
  onEvent: (event: GroupEvent) => void;
  /** A controller rolled back a failed rollout: commit the spec it went back to. */
  onRollback: (rollback: RollbackNotice) => void;
  /** Aborts when the manager stops. */
  stopSignal: AbortSignal;
}

/** One group as the leader runs it. No controller means its plugins could not be resolved yet. */
export interface GroupEntry {
  spec: GroupSpec;
  config: string;
  revision: number;
  controller?: GroupController;
  error?: string;
  /** Above the manager's limits: no controller is started until a spec within them is applied. */
  refused?: boolean;
}

/**
 * Everything this manager does during one leader term: raise the fence, load the specs, run a
 * controller per group. `signal` aborts when the term ends for any reason (lease lost, a fenced
 * write, the manager stopping), and `stop()` stops every controller at once.
 */
export class LeaderSession {
  readonly epoch: number;
  readonly signal: AbortSignal;
  private readonly options: LeaderSessionOptions;
  private readonly abort = new AbortController();
  private readonly groups = new Map<GroupId, GroupEntry>();
  private readonly log: Logger;
  private readonly damaged: DamagedGroups;
  private retryTask: Promise<void> | undefined;

  constructor(options: LeaderSessionOptions) {
    this.options = options;
    this.epoch = options.term.epoch;
    this.signal = AbortSignal.any([options.term.signal, options.stopSignal, this.abort.signal]);
    // Every group's controller listens here (one listener each, removed when it stops): 1,000
    // groups are 1,000 listeners by design, not the leak Node's default warning at 10 suspects.
    setMaxListeners(0, this.signal);
    this.log = options.logger.child({ component: 'manager', epoch: this.epoch });
    this.damaged = new DamagedGroups({
      store: options.store,
      logger: this.log,
      now: () => options.clock.now(),
      onEvent: options.onEvent,
    });
  }

  /** Raises the fence and starts a controller for every stored group. */
  async activate(): Promise<void> {
    await this.options.store.raiseFence(this.epoch);
    const revisions = await this.options.store.list();
    await this.damaged.refresh();
    for (const revision of revisions) await this.load(revision);
    this.retryTask = this.retryLoop();
    this.log.info('leading', { groups: revisions.length, damaged: this.damaged.size });
  }

  /** Starts a stored group; one unreadable spec must not keep every other group unmanaged. */
  private async load(revision: SpecRevision): Promise<void> {
    let spec: GroupSpec;
    try {
      spec = specFromRevision(revision);
    } catch (error) {
      this.log.error('stored spec unreadable', {
        group: revision.groupId,
        error: toTendError(error).message,
      });
      return;
    }
    if (desiredCount(spec) > this.options.maxGroupSize) {
      this.refuse(spec, revision.revision);
      return;
    }
    await this.upsert(spec, revision.revision, configHash(spec));
    this.options.onEvent({
      type: 'leader-changed',
      groupId: spec.id,
      message: `${this.options.name} leads at epoch ${this.epoch}`,
      at: this.options.clock.now(),
      data: { leader: this.options.name, epoch: this.epoch },
    });
  }

  /**
   * A spec committed before the limit was lowered (or written straight into the store) would
   * make this manager plan and pay for more than it allows: shown and announced, never run.
   * Applying a spec within the limit replaces the entry and starts the group as usual.
   */
  private refuse(spec: GroupSpec, revision: number): void {
    const desired = desiredCount(spec);
    const limit = this.options.maxGroupSize;
    const error = `stored revision ${revision} asks for ${desired} instances, above this manager's limit of ${limit} (tend up --max-group-size); the group is not run until a spec within the limit is applied`;
    this.groups.set(spec.id, { spec, revision, config: configHash(spec), error, refused: true });
    this.log.error('group above the size limit; not run', { group: spec.id, desired, limit });
    this.options.onEvent({
      type: 'refused',
      groupId: spec.id,
      message: error,
      at: this.options.clock.now(),
      data: { desired, limit, revision },
    });
  }

  /** Steps down: a write was fenced, so a newer leader exists. */
  fenced(error: TendError): void {
    if (this.signal.aborted) return;
    this.log.warn('fenced, stepping down', { error: error.message });
    this.abort.abort(error);
  }

  /** Ends the term early (an unexpected failure). */
  fail(error: unknown): void {
    if (!this.signal.aborted) this.abort.abort(error);
  }

  /** Resolves when the term is over. */
  ended(): Promise<void> {
    if (this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  entry(id: GroupId): GroupEntry | undefined {
    return this.groups.get(id);
  }

  entries(): GroupEntry[] {
    return [...this.groups.values()];
  }

  /** Gives a running controller its new spec, or starts a controller for a new group. */
  async upsert(spec: GroupSpec, revision: number, config: string): Promise<void> {
    const existing = this.groups.get(spec.id);
    if (existing?.controller !== undefined) {
      existing.controller.update(spec);
      Object.assign(existing, { spec, revision, config });
      return;
    }
    const entry: GroupEntry = { spec, revision, config };
    this.groups.set(spec.id, entry);
    await this.startController(entry);
  }

  /** Forgets a group: its controller stops; with `destroy`, its instances are destroyed first. */
  async remove(id: GroupId, mode: 'destroy' | 'free'): Promise<void> {
    const entry = this.groups.get(id);
    if (mode === 'destroy') {
      if (entry?.controller === undefined) {
        throw new TendError(
          'unavailable',
          `group ${id} has no running controller (${entry?.error ?? 'not loaded'}); use free to forget it`,
        );
      }
      await entry.controller.destroyAll(this.signal);
    }
    await entry?.controller?.stop();
    this.groups.delete(id);
  }

  status(id: GroupId): GroupStatus | undefined {
    const entry = this.groups.get(id);
    if (entry === undefined) return this.damaged.status(id);
    return entry.controller?.status() ?? placeholderStatus(entry);
  }

  summary(id: GroupId): GroupSummary | undefined {
    const entry = this.groups.get(id);
    if (entry === undefined) {
      const damaged = this.damaged.status(id);
      return damaged === undefined ? undefined : summaryOf(damaged);
    }
    return entry.controller?.summary() ?? summaryOf(placeholderStatus(entry));
  }

  /** The group's instances in ID order (a damaged or unstarted group has none). */
  instances(id: GroupId): readonly InstanceStatus[] {
    const entry = this.groups.get(id);
    if (entry?.controller !== undefined) return entry.controller.instances();
    const status = entry === undefined ? this.damaged.status(id) : placeholderStatus(entry);
    return [...(status?.instances ?? [])].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * The group an instance is in and the instance as last seen: one pass over the last looks in
   * memory (~1 ms at 100,000 instances), where a client had to page through every group.
   */
  findInstance(id: InstanceId): { group: GroupId; instance: InstanceStatus } | undefined {
    for (const [group, entry] of this.groups) {
      const instance = entry.controller?.instance(id);
      if (instance !== undefined) return { group, instance };
    }
    return undefined;
  }

  /** Every group's summary, sorted by ID: no instance is copied, whatever the groups' sizes. */
  summaries(): GroupSummary[] {
    const running = [...this.groups.values()].map(
      (entry) => entry.controller?.summary() ?? summaryOf(placeholderStatus(entry)),
    );
    const damaged = this.damaged.statuses().map(summaryOf);
    return [...running, ...damaged].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Stops every controller at once and waits for their in-flight actions to settle. */
  async stop(): Promise<void> {
    this.abort.abort(new TendError('not_leader', 'leader term ended'));
    await this.retryTask;
    const controllers = this.entries().flatMap((entry) => entry.controller ?? []);
    const results = await Promise.allSettled(controllers.map((controller) => controller.stop()));
    for (const result of results) {
      if (result.status === 'rejected')
        this.log.warn('controller stop failed', { error: String(result.reason) });
    }
  }

  private async startController(entry: GroupEntry): Promise<void> {
    const { spec } = entry;
    try {
      const instancePlugin = await this.options.resolver.instance(spec.instance.plugin);
      const flavorPlugin = await this.options.resolver.flavor(spec.flavor.plugin);
      const controller = this.options.createController({
        spec,
        instancePlugin,
        flavorPlugin,
        journal: storeJournal({
          store: this.options.store,
          groupId: spec.id,
          epoch: this.epoch,
          onFenced: (error) => this.fenced(error),
        }),
        epoch: this.epoch,
        limiter: this.options.limiterFor(spec.instance.plugin),
        describer: this.options.describerFor(spec.instance.plugin, instancePlugin),
        alignTicks: this.options.alignTicksFor(spec.instance.plugin),
        clock: this.options.clock,
        logger: this.options.logger.child({ component: 'group', group: spec.id }),
        ...(this.options.tickIntervalMs === undefined ? {} : { tickIntervalMs: this.options.tickIntervalMs }),
        maxActionsPerTick: this.options.maxActionsPerTick,
        onEvent: this.options.onEvent,
        onRollback: this.options.onRollback,
        onFenced: (error) => this.fenced(error),
      });
      controller.start(this.signal);
      entry.controller = controller;
      delete entry.error;
    } catch (error) {
      entry.error = toTendError(error).message;
      this.log.warn('group not started', { group: spec.id, error: entry.error });
    }
  }

  /** Plugins served from sockets may appear after the manager; groups waiting on them retry. */
  private async retryLoop(): Promise<void> {
    while (!this.signal.aborted) {
      try {
        await this.options.clock.sleep(this.options.retryIntervalMs, this.signal);
      } catch {
        return;
      }
      for (const entry of this.entries()) {
        if (entry.controller === undefined && entry.refused !== true && !this.signal.aborted)
          await this.startController(entry);
      }
      if (this.damaged.size > 0 && !this.signal.aborted) await this.reloadRepaired();
    }
  }

  /** A damaged history repaired by hand brings its group back without a restart. */
  private async reloadRepaired(): Promise<void> {
    try {
      for (const id of await this.damaged.refresh()) {
        const revision = await this.options.store.latest(id);
        if (revision !== undefined && revision.deleted !== true && !this.signal.aborted) {
          this.log.info('damaged group repaired', { group: id });
          await this.load(revision);
        }
      }
    } catch (error) {
      this.log.warn('damaged groups not rechecked', { error: toTendError(error).message });
    }
  }
}

function placeholderStatus(entry: GroupEntry): GroupStatus {
  return unobservedStatus(entry.spec.id, {
    phase: entry.refused === true ? 'refused' : 'blind',
    desired: desiredCount(entry.spec),
    config: entry.config,
    lastError: entry.error,
  });
}
