import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import {
  type Clock,
  callEpoch,
  type EpochFence,
  FileEpochFence,
  KeyedSerial,
  type Logger,
  redactSecrets,
  silentLogger,
  systemClock,
} from '../../../lib/index.js';
import {
  type CallOptions,
  type DescribeOptions,
  type DestroyContext,
  type InstanceDescription,
  type InstanceEvent,
  type InstanceId,
  type InstancePlugin,
  type InstanceSpec,
  instanceId,
  type JsonValue,
  type LogsOptions,
  logicalId,
  TAG_OP,
  type Tags,
  TendError,
} from '../../../spi/index.js';
import { type InstanceScan, InstanceWatcher } from './instance-watcher.js';
import { isProcessAlive, processStartTime, startTimeToEpochMs } from './proc-stat.js';
import { DEFAULT_LOG_RETENTION, type LogRetention, pruneLogs, readLogTail } from './process-logs.js';
import { type ProcessProperties, parseProcessProperties } from './properties.js';
import { Reconciler } from './reconcile.js';
import { assertDirectory, killGroup, startChild } from './spawn-child.js';
import { newProcessId, type ProcessState, StateDir } from './state-dir.js';
import { terminateGroup } from './terminate.js';

export interface ProcessPluginOptions {
  /** Holds one state file and one log per instance; created mode 0700. */
  stateDir: string;
  logger?: Logger;
  /** How often adopted processes are checked while someone watches. Default 200 ms. */
  pollIntervalMs?: number;
  /** Time between SIGTERM and SIGKILL on destroy. Default 5000 ms. */
  killGraceMs?: number;
  clock?: Clock;
  /**
   * A provision intent with no process is dropped once this old: until then a spawn may still be
   * on its way in another manager sharing the dir. Default 10 s.
   */
  intentGraceMs?: number;
  /** How often describe looks through /proc for processes no state file names. Default 10 s. */
  orphanScanIntervalMs?: number;
  /** Logs of instances that are gone: how many and how old are kept (default 100, 7 days). */
  logRetention?: LogRetention;
}

/** The process plugin always offers `logs`, `watch` and `close`. */
export type ProcessPlugin = InstancePlugin & Required<Pick<InstancePlugin, 'logs' | 'watch' | 'close'>>;

/**
 * Each instance is a local process running the spec's init with `sh -c`, in a process group of
 * its own, detached so that it outlives the manager that started it: after a failover another
 * manager adopts it through the state dir.
 */
export function createProcessPlugin(options: ProcessPluginOptions): ProcessPlugin {
  return new ProcessInstancePlugin(options);
}

class ProcessInstancePlugin implements ProcessPlugin {
  private readonly dir: StateDir;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly killGraceMs: number;
  private readonly watcher: InstanceWatcher;
  /** In the state dir, so every manager on this machine and every restart shares it. */
  private readonly fence: EpochFence;
  /** Provisions in flight by `tend.op`, so concurrent retries in this manager share one spawn. */
  private readonly pendingOps = new Map<string, Promise<InstanceId>>();
  /** Per-instance queue, so concurrent labels do not lose each other's tags. */
  private readonly labelQueues = new KeyedSerial();
  /** Exit handlers of the children this object spawned; detached on close. */
  private readonly children = new Map<InstanceId, { child: ChildProcess; onExit: () => void }>();
  /** Spawns of this object between intent and state: not leftovers to adopt or reap. */
  private readonly spawning = new Set<string>();
  private readonly reconciler: Reconciler;
  private readonly reconcileEveryMs: number;
  private readonly logRetention: LogRetention;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The highest epoch this object raised the fence to on a describe. */
  private raisedTo = 0;

  constructor(options: ProcessPluginOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'plugin-process' });
    this.dir = new StateDir({ path: options.stateDir, logger: this.logger });
    this.fence = new FileEpochFence({ plugin: 'process plugin', dir: options.stateDir });
    this.clock = options.clock ?? systemClock;
    this.killGraceMs = options.killGraceMs ?? 5000;
    this.watcher = new InstanceWatcher({
      pollIntervalMs: options.pollIntervalMs ?? 200,
      scan: () => this.scan(),
      logger: this.logger,
    });
    this.reconcileEveryMs = options.orphanScanIntervalMs ?? 10_000;
    this.logRetention = options.logRetention ?? DEFAULT_LOG_RETENTION;
    this.reconciler = new Reconciler({
      dir: this.dir,
      logger: this.logger,
      clock: this.clock,
      inFlight: this.spawning,
      intentGraceMs: options.intentGraceMs ?? 10_000,
      scanIntervalMs: options.orphanScanIntervalMs ?? 10_000,
      onReaped: (id) => this.watcher.notifyGone(instanceId(id)),
    });
  }

  async validate(properties: JsonValue | undefined): Promise<void> {
    parseProcessProperties(properties);
  }

  async provision(spec: InstanceSpec, options: CallOptions = {}): Promise<InstanceId> {
    this.assertOpen('provision');
    this.reconcileInBackground();
    if (options.signal?.aborted) throw new TendError('timeout', 'process plugin: provision aborted');
    const properties = parseProcessProperties(spec.properties);
    const epoch = callEpoch(options, spec.tags);
    await this.dir.ensure();
    // An early no, so a deposed leader starts nothing; the fence is raised, under its lock, only
    // where the instance is recorded (spawnInstance).
    await this.fence.check(epoch, 'provision');
    const call = { epoch, signal: options.signal };
    const op = spec.tags[TAG_OP];
    if (op === undefined) return this.spawnInstance(spec, properties, call);
    const pending = this.pendingOps.get(op);
    if (pending !== undefined) return pending;
    const attempt = (async () =>
      (await this.findLiveByOp(op)) ?? this.spawnInstance(spec, properties, call))();
    this.pendingOps.set(op, attempt);
    try {
      return await attempt;
    } finally {
      this.pendingOps.delete(op);
    }
  }

  async label(id: InstanceId, labels: Tags, options: CallOptions = {}): Promise<void> {
    this.assertOpen('label');
    const epoch = callEpoch(options);
    await this.labelQueues.run(id, async () => {
      const state = await this.dir.read(id);
      if (state === undefined || !(await isProcessAlive(state.pid, state.startTime))) {
        throw new TendError('not_found', `process plugin: label: no live instance ${id}`);
      }
      await this.fence.guard(epoch, `label of ${id}`, () =>
        this.dir.write({ ...state, tags: { ...state.tags, ...labels } }),
      );
    });
  }

  /** An instance that is already gone (or never was) counts as destroyed. */
  async destroy(id: InstanceId, context: DestroyContext, options: CallOptions = {}): Promise<void> {
    this.assertOpen('destroy');
    const epoch = callEpoch(options);
    if (epoch !== undefined) {
      await this.dir.ensure();
      await this.fence.guard(epoch, `destroy of ${id}`, () => undefined);
    }
    const state = await this.dir.read(id);
    if (state === undefined) {
      // Gone, or its record damaged (moved aside just now or before): then its process, found
      // by its id in /proc, is killed here, so a destroy that succeeds leaves nothing running.
      await this.reconciler.reapDamaged(id);
      return;
    }
    if (await isProcessAlive(state.pid, state.startTime)) {
      await terminateGroup({
        id,
        pid: state.pid,
        isAlive: () => isProcessAlive(state.pid, state.startTime),
        graceMs: this.killGraceMs,
        clock: this.clock,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    }
    await this.dir.remove(id, { withLog: false });
    this.watcher.notifyGone(id);
    this.logger.info('instance destroyed', { instance: id, pid: state.pid, reason: context.reason });
  }

  async describeInstances(tags: Tags, options: DescribeOptions = {}): Promise<InstanceDescription[]> {
    this.assertOpen('describeInstances');
    const wanted = Object.entries(tags);
    // Before adopting anything: a provision of the last leader, paused past its lease, must find
    // the fence raised when it wakes, even if this leader reaches its size without a change.
    await this.raiseFence(callEpoch(options));
    // Every describe first settles what a crash or a damaged file left behind (see Reconciler).
    this.reconcileInBackground();
    const states = await this.reconciler.run();
    const matching = states.filter((s) => wanted.every(([k, v]) => s.tags[k] === v));
    const live = await this.keepLive(matching);
    return Promise.all(
      live.map((state) => describe(state, this.dir.logPath(state.id), options.properties === true)),
    );
  }

  /** The tail of the instance's stdout and stderr; kept after it ends, within the log retention. */
  async logs(id: InstanceId, options: LogsOptions = {}): Promise<string> {
    this.assertOpen('logs');
    const text = /^proc-[0-9a-f]{16}$/.test(id)
      ? await readLogTail(this.dir.logPath(id), options)
      : undefined;
    if (text === undefined) throw new TendError('not_found', `process plugin: no log of instance ${id}`);
    return text;
  }

  /** Logs of instances that are gone, beyond the retention; never those of running or starting ones. */
  private async pruneLogs(): Promise<void> {
    const { states, intents } = await this.dir.list();
    const keep = new Set([...states.map((s) => s.id), ...intents.map((i) => i.id), ...this.spawning]);
    await pruneLogs({
      dir: this.dir.path,
      keep,
      now: this.clock.now(),
      retention: this.logRetention,
      logger: this.logger,
    });
  }

  /**
   * A describe from a newer leader raises the fence: describe adopts provisions left in flight,
   * so it changes the dir too. Once per epoch (it takes the fence's lock); a lock held by a
   * paused manager must not blind the new leader, so a timeout is logged, not thrown; an older
   * epoch's describe is answered too (it is a look, and its mutating calls are refused).
   */
  private async raiseFence(epoch: number | undefined): Promise<void> {
    if (epoch === undefined || epoch <= this.raisedTo) return;
    await this.dir.ensure();
    try {
      await this.fence.guard(epoch, 'describe', () => undefined);
      this.raisedTo = epoch;
    } catch (error) {
      if (TendError.is(error, 'fenced')) return;
      if (!TendError.is(error, 'unavailable')) throw error;
      this.logger.warn('fence not raised on describe', { epoch, error: error.message });
    }
  }

  watch(listener: (event: InstanceEvent) => void): () => void {
    this.assertOpen('watch');
    return this.watcher.add(listener);
  }

  /** Stops watching; the instances keep running for whichever manager comes next. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconcileTimer);
    // After close this object must not touch the state dir, even when one of its children ends.
    for (const { child, onExit } of this.children.values()) child.off('exit', onExit);
    this.children.clear();
    await this.watcher.stop();
    await this.reconciler.idle();
  }

  /**
   * Also reconciles when nobody describes: a file damaged after its group was destroyed (or while
   * no group uses this plugin) would otherwise leave its process running until the next describe.
   * Unref'd: it must not keep a manager alive, and instances outlive the manager anyway.
   */
  private reconcileInBackground(): void {
    if (this.reconcileTimer !== undefined || this.closed) return;
    this.reconcileTimer = setTimeout(() => {
      this.reconcileTimer = undefined;
      if (this.closed) return;
      this.reconciler
        .run()
        .then(() => this.pruneLogs())
        .catch((error: unknown) => this.logger.warn('background reconcile failed', { error: String(error) }))
        .finally(() => this.reconcileInBackground());
    }, this.reconcileEveryMs);
    this.reconcileTimer.unref();
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new TendError('unavailable', `process plugin: ${operation} after close`);
  }

  private async findLiveByOp(op: string): Promise<InstanceId | undefined> {
    // A retry after a crash finds the instance its first attempt spawned (adopted from the intent).
    const states = await this.reconciler.run();
    const [found] = await this.keepLive(states.filter((s) => s.tags[TAG_OP] === op));
    return found === undefined ? undefined : instanceId(found.id);
  }

  /** The live ones among `states`; the state files of dead ones are removed (their logs kept). */
  private async keepLive(states: readonly ProcessState[]): Promise<ProcessState[]> {
    const alive = await Promise.all(states.map((s) => isProcessAlive(s.pid, s.startTime)));
    const dead = states.filter((_, i) => alive[i] !== true);
    await Promise.all(dead.map((s) => this.dir.remove(s.id, { withLog: false })));
    return states.filter((_, i) => alive[i] === true);
  }

  private async scan(): Promise<InstanceScan> {
    const { states } = await this.dir.list();
    const live = new Set((await this.keepLive(states)).map((s) => instanceId(s.id)));
    const dead = new Set(states.map((s) => instanceId(s.id)).filter((id) => !live.has(id)));
    return { live, dead };
  }

  private async spawnInstance(
    spec: InstanceSpec,
    properties: ProcessProperties,
    call: { epoch: number | undefined; signal: AbortSignal | undefined },
  ): Promise<InstanceId> {
    if (properties.cwd !== undefined) await assertDirectory(properties.cwd);
    const id = instanceId(newProcessId());
    const base = {
      version: 1 as const,
      id,
      tags: { ...spec.tags },
      // Only for describe: the child runs spec.init itself, and join secrets a flavor put in it
      // must not land in the state dir or describe output.
      init: redactSecrets(spec.init),
      createdAt: new Date(this.clock.now()).toISOString(),
      ...(spec.logicalId === undefined ? {} : { logicalId: spec.logicalId }),
      ...(properties.cwd === undefined ? {} : { cwd: properties.cwd }),
    };
    this.spawning.add(id);
    try {
      // Durable before the spawn: whatever moment this manager dies, the process can be found.
      await this.dir.writeIntent({ ...base, intendedAt: this.clock.now() });
      const child = await startChild({
        id,
        spec,
        properties,
        logPath: this.dir.logPath(id),
        stateDirId: await this.dir.marker(),
        onExit: () => {
          this.children.delete(id);
          this.dir.remove(id, { withLog: false }).catch(() => undefined);
          this.watcher.notifyGone(id);
        },
      }).catch(async (error: unknown) => {
        await this.dir.remove(id, { withLog: true });
        throw error;
      });
      this.children.set(id, { child: child.process, onExit: child.onExit });
      const pid = child.process.pid;
      if (pid === undefined) throw new TendError('internal', `process plugin: ${id} started without a pid`);
      // Read before anything else can wait: the sooner, the less chance the process already ended.
      const state: ProcessState = { ...base, pid, startTime: await processStartTime(pid) };
      try {
        // Recording the instance is the provision's commit point: a caller whose term ended while
        // the child started (a leader paused past its lease) must leave nothing behind, even if
        // another manager adopted the child from its intent meanwhile.
        await this.fence.guard(call.epoch, `provision of ${id}`, async () => {
          if (call.signal?.aborted === true) {
            throw new TendError(
              'timeout',
              `process plugin: provision of ${id} aborted; its process was killed`,
              {
                cause: call.signal.reason,
              },
            );
          }
          await this.dir.write(state);
        });
        await this.dir.removeIntent(id);
      } catch (error) {
        // Untracked, it would run forever with nobody able to find it.
        killGroup(pid);
        if (TendError.is(error, 'fenced') || call.signal?.aborted === true) {
          await this.dir.remove(id, { withLog: true }).catch(() => undefined);
          this.logger.warn('provision undone', { instance: id, pid, error: String(error) });
        }
        throw error;
      }
      child.process.unref();
      this.watcher.track(id);
      this.logger.info('instance provisioned', { instance: id, pid, logicalId: spec.logicalId });
      return id;
    } finally {
      this.spawning.delete(id);
    }
  }
}

async function describe(
  state: ProcessState,
  logFile: string,
  withProperties: boolean,
): Promise<InstanceDescription> {
  const description: InstanceDescription = {
    id: instanceId(state.id),
    tags: state.tags,
    location: { pid: state.pid, host: hostname() },
  };
  // The kernel's start time of the process itself; the state file's own time where there is none.
  const createdAt = (await startTimeToEpochMs(state.startTime)) ?? Date.parse(state.createdAt);
  if (Number.isFinite(createdAt)) description.createdAt = createdAt;
  if (state.logicalId !== undefined) description.logicalId = logicalId(state.logicalId);
  if (withProperties) {
    const properties: Record<string, JsonValue> = {
      pid: state.pid,
      startTime: state.startTime,
      init: state.init,
      createdAt: state.createdAt,
      logFile,
    };
    if (state.cwd !== undefined) properties.cwd = state.cwd;
    description.properties = properties;
  }
  return description;
}
