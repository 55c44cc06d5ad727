import Docker from 'dockerode';
import {
  abortable,
  type Clock,
  callEpoch,
  engineError,
  type Logger,
  MemoryEpochFence,
  silentLogger,
  statusCode,
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
  TAG_GROUP,
  TAG_LOGICAL,
  TAG_OP,
  type Tags,
  TendError,
} from '../../../spi/index.js';
import { demuxLogs, tailOf } from './container-logs.js';
import { containerCreateOptions, LABEL_MANAGED, MANAGED_VALUE, tagsFromLabels } from './container-spec.js';
import { EventWatcher, GONE_ACTIONS } from './event-watcher.js';
import { LabelStore } from './label-store.js';
import { type DockerProperties, parseDockerProperties } from './properties.js';
import { isDeadState, Reaper } from './reaper.js';

export interface DockerPluginOptions {
  /** Engine socket; default `$DOCKER_HOST` when it is `unix://…`, else `/var/run/docker.sock`. */
  socketPath?: string;
  logger?: Logger;
  /** Properties used where a spec leaves them out (shallow merge), e.g. `{ networkMode: 'none' }`. */
  defaults?: Partial<DockerProperties>;
  /** Where label overrides persist (see LabelStore); without it they live in memory only. */
  stateDir?: string;
  /** Bound on every engine request except the event stream. Default 15 s. */
  requestTimeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL on destroy. Default 2 s. */
  stopTimeoutSeconds?: number;
  /** Drives event-stream reconnect backoff and the reaper's age check. */
  clock?: Clock;
  eventBackoff?: { baseMs: number; capMs: number };
}

/**
 * Engine states Tend counts as a live instance: the engine's own `State.Running` is true in all
 * three (a `restarting` container is owned by its restart policy and comes back by itself).
 * `exited`/`dead` containers are not reported and are removed in the background, so crashed
 * instances do not pile up; `created` ones are left to a provision in progress, then reaped.
 */
const LIVE_STATES = new Set(['running', 'paused', 'restarting']);

const DEFAULT_LOG_TAIL = 64 * 1024;
const MAX_LOG_TAIL = 1 << 20;
const LOG_TAIL_LINES = 20_000;

/** The container's short ID (as `docker ps` shows it) and its first network address, if any. */
function locationOf(c: Docker.ContainerInfo): NonNullable<InstanceDescription['location']> {
  const location: NonNullable<InstanceDescription['location']> = { containerId: c.Id.slice(0, 12) };
  const networks = Object.values(c.NetworkSettings?.Networks ?? {});
  const address = networks.map((n) => n.IPAddress).find((ip) => typeof ip === 'string' && ip !== '');
  if (address !== undefined) location.address = address;
  return location;
}

export class DockerInstancePlugin implements InstancePlugin {
  private readonly docker: Docker;
  private readonly events: Docker;
  private readonly socketPath: string;
  private readonly logger: Logger;
  private readonly defaults: Partial<DockerProperties>;
  private readonly timeoutMs: number;
  private readonly stopSeconds: number;
  private readonly labels: LabelStore;
  private readonly watcher: EventWatcher;
  private readonly reaper: Reaper;
  /**
   * In memory: it fences the managers that share this plugin object (a plugin process serving
   * them all). Managers each running their own copy rely on the term's abort signal, which
   * reaches every engine request, and on the store's fence.
   */
  private readonly fence = new MemoryEpochFence({ plugin: 'docker plugin' });

  constructor(options: DockerPluginOptions = {}) {
    this.socketPath = options.socketPath ?? defaultSocketPath();
    this.logger = (options.logger ?? silentLogger).child({ component: 'instance-docker' });
    this.defaults = options.defaults ?? {};
    this.timeoutMs = options.requestTimeoutMs ?? 15_000;
    this.stopSeconds = options.stopTimeoutSeconds ?? 2;
    // Backstop for requests dockerode cannot abort: an idle socket is dropped a little after
    // the longest legitimate wait (a stop's grace period).
    this.docker = new Docker({
      socketPath: this.socketPath,
      timeout: this.timeoutMs + this.stopSeconds * 1000 + 5_000,
    });
    // The event stream is long-lived and often idle: it gets its own client and no idle timeout.
    this.events = new Docker({ socketPath: this.socketPath });
    this.labels = new LabelStore({ stateDir: options.stateDir });
    const clock = options.clock ?? systemClock;
    this.reaper = new Reaper({ docker: this.docker, labels: this.labels, logger: this.logger, clock });
    this.watcher = new EventWatcher({
      clock,
      logger: this.logger,
      ...(options.eventBackoff === undefined ? {} : { backoff: options.eventBackoff }),
      settle: (event) => this.settle(event.id),
      open: async (since, signal) => {
        const stream = await this.events.getEvents({
          ...(since === undefined ? {} : { since }),
          filters: { type: ['container'], event: [...GONE_ACTIONS], label: [TAG_GROUP] },
          abortSignal: signal,
        } as Docker.GetEventsOptions);
        return stream as AsyncIterable<Buffer>;
      },
    });
  }

  async validate(properties: JsonValue | undefined, options: CallOptions = {}): Promise<void> {
    const parsed = parseDockerProperties(properties, this.defaults);
    await this.call(`inspect image ${parsed.image}`, options.signal, (abortSignal) =>
      abortable(this.docker.getImage(parsed.image).inspect(), abortSignal),
    ).catch((error: unknown) => {
      throw TendError.is(error, 'not_found') ? imageMissing(parsed.image, error) : error;
    });
  }

  async provision(spec: InstanceSpec, options: CallOptions = {}): Promise<InstanceId> {
    const properties = parseDockerProperties(spec.properties, this.defaults);
    this.fence.admit(callEpoch(options, spec.tags), 'provision');
    const signal = options.signal;
    const op = spec.tags[TAG_OP];
    if (op !== undefined && op !== '') {
      const existing = await this.findByOp(op, signal);
      if (existing !== undefined && !isDeadState(existing.State)) {
        return this.adopt(existing.Id, existing.State, signal);
      }
      // The operation's container ran and died unseen (the controller asks again with the same
      // key when it never observed that instance): a corpse, not an instance to hand back.
      // Removing it frees its name for a live one.
      if (existing !== undefined) await this.reaper.removeNow(existing.Id, 'dead before it was seen');
    }
    const create = containerCreateOptions(spec, properties);
    // Init (docker-init/tini) as PID 1 forwards SIGTERM, so destroy is a prompt, clean stop.
    create.HostConfig = { ...create.HostConfig, Init: true };
    const what = `create container for group ${spec.tags[TAG_GROUP] ?? '(none)'}`;
    let id: string;
    try {
      const container = await this.call(what, signal, (abortSignal) =>
        this.docker.createContainer({ ...create, abortSignal }),
      );
      id = container.id;
    } catch (error) {
      if (TendError.is(error, 'conflict') && create.name !== undefined && op !== undefined) {
        // A racing provision of the same operation won the name: its container is ours too.
        return this.adoptByName(create.name, op, signal);
      }
      if (TendError.is(error, 'not_found')) throw imageMissing(properties.image, error);
      throw error;
    }
    try {
      await this.start(id, signal);
      // The caller's term ended while the engine worked (a leader paused past its lease): the
      // container must not outlive the provision that nobody waits for any more.
      if (signal?.aborted === true) {
        throw new TendError('timeout', `docker plugin: provision of ${id} aborted; container removed`, {
          cause: signal.reason,
        });
      }
    } catch (error) {
      // Do not leave a half-made instance behind: provision failed, so nothing should exist.
      await this.reaper.remove(id, 'start failed');
      throw error;
    }
    this.logger.info('instance provisioned', { group: spec.tags[TAG_GROUP], instance: id, op });
    return instanceId(id);
  }

  async label(id: InstanceId, labels: Tags, options: CallOptions = {}): Promise<void> {
    this.fence.admit(callEpoch(options), `label of ${id}`);
    // The engine cannot relabel a container; make sure it exists, then record the overlay.
    await this.call(`inspect container ${id}`, options.signal, (abortSignal) =>
      this.docker.getContainer(id).inspect({ abortSignal }),
    );
    await this.labels.merge(id, labels);
  }

  async destroy(id: InstanceId, context: DestroyContext, options: CallOptions = {}): Promise<void> {
    this.fence.admit(callEpoch(options), `destroy of ${id}`);
    const container = this.docker.getContainer(id);
    const stopBudget = this.timeoutMs + this.stopSeconds * 1000;
    try {
      await this.call(
        `stop container ${id}`,
        options.signal,
        (abortSignal) => container.stop({ t: this.stopSeconds, abortSignal }),
        stopBudget,
      );
    } catch (error) {
      // 304: already stopped. 404: already gone. Anything else: removal with force still kills it.
      if (statusCode(error instanceof TendError ? error.cause : error) === 304) {
        // fall through to remove
      } else if (TendError.is(error, 'not_found')) {
        await this.labels.forget(id);
        return;
      } else if (!TendError.is(error, 'internal') && !TendError.is(error, 'conflict')) {
        throw error;
      }
    }
    try {
      await this.call(`remove container ${id}`, options.signal, (abortSignal) =>
        container.remove({ force: true, v: true, abortSignal } as Docker.ContainerRemoveOptions),
      );
    } catch (error) {
      // 409 is "removal already in progress": someone else is finishing the same job.
      if (!TendError.is(error, 'not_found') && !TendError.is(error, 'conflict')) throw error;
    }
    await this.labels.forget(id);
    this.logger.info('instance destroyed', { instance: id, reason: context.reason });
  }

  async describeInstances(tags: Tags, options: DescribeOptions = {}): Promise<InstanceDescription[]> {
    // Filter on the engine except for keys some container has overridden through label().
    const overridden = await this.labels.overriddenKeys();
    const filter = [`${LABEL_MANAGED}=${MANAGED_VALUE}`];
    for (const [key, value] of Object.entries(tags)) if (!overridden.has(key)) filter.push(`${key}=${value}`);
    const containers = await this.call('list containers', options.signal, (abortSignal) =>
      this.docker.listContainers({ all: true, filters: { label: filter }, abortSignal }),
    );
    const found: InstanceDescription[] = [];
    for (const c of containers) {
      if (!LIVE_STATES.has(c.State)) {
        this.reaper.consider(c);
        continue;
      }
      const effective = { ...tagsFromLabels(c.Labels), ...(await this.labels.get(c.Id)) };
      if (!Object.entries(tags).every(([key, value]) => effective[key] === value)) continue;
      const description: InstanceDescription = {
        id: instanceId(c.Id),
        tags: effective,
        location: locationOf(c),
      };
      // The engine's creation time (whole seconds): an instance's age survives a manager restart.
      if (Number.isFinite(c.Created) && c.Created > 0) description.createdAt = c.Created * 1000;
      const logical = effective[TAG_LOGICAL];
      if (logical !== undefined) description.logicalId = logicalId(logical);
      if (options.properties === true) {
        description.properties = {
          name: (c.Names[0] ?? '').replace(/^\//, ''),
          image: c.Image,
          imageId: c.ImageID,
          state: c.State,
          status: c.Status,
          created: c.Created,
        };
      }
      found.push(description);
    }
    return found;
  }

  /**
   * The container's stdout and stderr as the engine keeps them (its log driver must be readable:
   * `json-file` or `local`, the defaults). A removed container's log is gone with it.
   */
  async logs(id: InstanceId, options: LogsOptions = {}): Promise<string> {
    const bytes = Math.min(MAX_LOG_TAIL, Math.max(0, Math.floor(options.tailBytes ?? DEFAULT_LOG_TAIL)));
    const container = this.docker.getContainer(id);
    const raw = await this.call(`read logs of container ${id}`, options.signal, (abortSignal) =>
      container.logs({
        stdout: true,
        stderr: true,
        follow: false,
        // The engine counts lines, not bytes: a bound on the work, then the bytes are cut here.
        tail: LOG_TAIL_LINES,
        ...(options.sinceMs === undefined ? {} : { since: Math.floor(options.sinceMs / 1000) }),
        abortSignal,
      } as Docker.ContainerLogsOptions & { follow: false; abortSignal: AbortSignal }),
    );
    return tailOf(demuxLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))), bytes);
  }

  /** Engine events for containers carrying `tend.group`, as they happen (see EventWatcher). */
  watch(listener: (event: InstanceEvent) => void): () => void {
    return this.watcher.subscribe(listener);
  }

  /** Ends the event stream and waits for background removals. The plugin is unusable after. */
  async close(): Promise<void> {
    await this.watcher.close();
    await this.reaper.close();
  }

  /**
   * Engines up to 20.10 (Debian's docker.io) send `die` before the container list shows the
   * container stopped, so a describe made on the event still reports it running and the heal
   * waits for the next tick. Inspect takes the container's lock, which the engine holds until
   * the exit is recorded in the list: once it answers, the list agrees with the event.
   */
  private async settle(id: InstanceId): Promise<void> {
    await this.call(`inspect container ${id}`, undefined, (abortSignal) =>
      this.docker.getContainer(id).inspect({ abortSignal }),
    );
  }

  private async findByOp(
    op: string,
    signal: AbortSignal | undefined,
  ): Promise<Docker.ContainerInfo | undefined> {
    const found = await this.call(`find container for operation ${op}`, signal, (abortSignal) =>
      this.docker.listContainers({
        all: true,
        filters: { label: [`${LABEL_MANAGED}=${MANAGED_VALUE}`, `${TAG_OP}=${op}`] },
        abortSignal,
      }),
    );
    return found.find((c) => LIVE_STATES.has(c.State)) ?? found[0];
  }

  private async adoptByName(name: string, op: string, signal: AbortSignal | undefined): Promise<InstanceId> {
    const info = await this.call(`inspect container ${name}`, signal, (abortSignal) =>
      this.docker.getContainer(name).inspect({ abortSignal }),
    );
    if (info.Config.Labels?.[TAG_OP] !== op) {
      throw new TendError('conflict', `container name ${name} is taken by a container of another operation`);
    }
    return this.adopt(info.Id, info.State.Status, signal);
  }

  /** An existing container for this operation: finish a provision that stopped after create. */
  private async adopt(id: string, state: string, signal: AbortSignal | undefined): Promise<InstanceId> {
    if (isDeadState(state)) {
      throw new TendError(
        'unavailable',
        `container ${id} of this operation has exited and is not removed yet`,
      );
    }
    if (state === 'created') await this.start(id, signal);
    this.logger.info('instance provision replayed', { instance: id, state });
    return instanceId(id);
  }

  private async start(id: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.call(`start container ${id}`, signal, (abortSignal) =>
        this.docker.getContainer(id).start({ abortSignal }),
      );
    } catch (error) {
      // 304: a racing provision of the same operation started it already.
      if (statusCode(error instanceof TendError ? error.cause : error) !== 304) throw error;
    }
  }

  /** One engine request, bounded by the request timeout and the caller's signal. */
  private async call<T>(
    what: string,
    callerSignal: AbortSignal | undefined,
    request: (signal: AbortSignal) => Promise<T>,
    timeoutMs = this.timeoutMs,
  ): Promise<T> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal === undefined ? deadline : AbortSignal.any([callerSignal, deadline]);
    try {
      return await abortable(request(signal), signal);
    } catch (error) {
      throw engineError(error, { what, socketPath: this.socketPath, callerSignal, timeoutMs });
    }
  }
}

function imageMissing(image: string, cause: unknown): TendError {
  return new TendError(
    'invalid_spec',
    `properties.image: image ${JSON.stringify(image)} not found on the engine; no registry pull is attempted`,
    { cause, details: { image } },
  );
}

function defaultSocketPath(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') === true ? host.slice('unix://'.length) : '/var/run/docker.sock';
}
