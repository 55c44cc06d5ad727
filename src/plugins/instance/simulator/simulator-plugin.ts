import { z } from 'zod';
import {
  type Clock,
  callEpoch,
  createRandom,
  createTokenBucket,
  type Logger,
  MemoryEpochFence,
  type Random,
  randomInt,
  silentLogger,
  type TokenBucket,
} from '../../../lib/index.js';
import {
  type CallOptions,
  type DescribeOptions,
  type DestroyContext,
  type Health,
  type InstanceDescription,
  type InstanceEvent,
  type InstanceId,
  type InstanceSpec,
  instanceId,
  type JsonValue,
  TAG_OP,
  type Tags,
  TendError,
} from '../../../spi/index.js';
import { copyInstance, describeInstance, Fleet, type SimulatedInstance } from './fleet.js';
import type { SimulatorPlugin, SimulatorStats } from './simulator-api.js';
import {
  checkFaults,
  checkOptions,
  defaultRateLimits,
  noFaults,
  type SimulatorCallKind,
  type SimulatorFaults,
  type SimulatorOptions,
  simulatorCallKinds,
} from './simulator-options.js';
import { applyTimeFaults, newInstanceId } from './time-faults.js';

const propertiesSchema = z.record(z.string(), z.unknown()).nullish();

/** Separate random streams, so turning on latency does not change which instances vanish. */
const STREAMS = { ids: 1, latency: 2, calls: 3, time: 4 } as const;

/** An in-memory cloud for tests, benchmarks and `plan --simulate`; deterministic by seed. */
export function createSimulatorPlugin(options: SimulatorOptions): SimulatorPlugin {
  checkOptions(options);
  return new Simulator(options);
}

class Simulator implements SimulatorPlugin {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly latency: { min: number; max: number };
  private readonly tickMs: number;
  private readonly random: Record<keyof typeof STREAMS, Random>;
  private readonly buckets = new Map<SimulatorCallKind, TokenBucket>();
  private readonly fleet = new Fleet();
  private readonly listeners = new Set<(event: InstanceEvent) => void>();
  /** One simulated cloud, shared by the managers of a test: its memory is the platform's. */
  private readonly fence = new MemoryEpochFence({ plugin: 'simulator' });
  private readonly counters: SimulatorStats;
  private readonly stopLoop = new AbortController();
  private readonly loop: Promise<void> | undefined;
  private currentFaults: SimulatorFaults;
  private lastTickAt: number;
  private closed = false;

  constructor(options: SimulatorOptions) {
    this.clock = options.clock;
    this.logger = (options.logger ?? silentLogger).child({ component: 'simulator' });
    this.latency = options.latencyMs ?? { min: 0, max: 0 };
    this.tickMs = options.tickMs ?? 1000;
    this.currentFaults = { ...noFaults, ...options.faults };
    this.lastTickAt = this.clock.now();
    const streamSeed = (stream: number) => (options.seed + Math.imul(stream, 0x9e3779b9)) >>> 0;
    this.random = {
      ids: createRandom(streamSeed(STREAMS.ids)),
      latency: createRandom(streamSeed(STREAMS.latency)),
      calls: createRandom(streamSeed(STREAMS.calls)),
      time: createRandom(streamSeed(STREAMS.time)),
    };
    for (const kind of simulatorCallKinds) {
      const limit = options.rateLimits?.[kind] ?? defaultRateLimits[kind];
      if (limit !== 'unlimited') this.buckets.set(kind, createTokenBucket({ ...limit, clock: this.clock }));
    }
    const calls = Object.fromEntries(simulatorCallKinds.map((k) => [k, { ok: 0, throttled: 0, error: 0 }]));
    this.counters = {
      calls: calls as SimulatorStats['calls'],
      created: 0,
      destroyed: 0,
      vanished: 0,
      turnedUnhealthy: 0,
    };
    if (options.autoTick === true) this.loop = this.runTicks(this.stopLoop.signal);
  }

  validate(properties: JsonValue | undefined, options?: CallOptions): Promise<void> {
    return this.call('validate', options, () => checkProperties(properties));
  }

  provision(spec: InstanceSpec, options?: CallOptions): Promise<InstanceId> {
    return this.call('provision', options, () => {
      checkProperties(spec.properties);
      this.fence.admit(callEpoch(options, spec.tags), 'provision');
      if (this.draw(this.currentFaults.provisionFailureRate)) {
        throw new TendError('unavailable', 'simulator: provision failed (injected fault)');
      }
      const op = spec.tags[TAG_OP];
      let instance = op === undefined ? undefined : this.fleet.findByOp(op);
      if (instance === undefined) {
        instance = this.fleet.create(
          instanceId(newInstanceId(this.random.ids, (id) => this.fleet.wasIssued(instanceId(id)))),
          spec,
          this.clock.now(),
        );
        this.counters.created++;
      }
      if (this.draw(this.currentFaults.lostResponseRate)) {
        throw new TendError('unavailable', 'simulator: provision response lost (injected fault)', {
          details: { instance: instance.id },
        });
      }
      return instance.id;
    });
  }

  label(id: InstanceId, labels: Tags, options?: CallOptions): Promise<void> {
    return this.call('label', options, () => {
      this.fence.admit(callEpoch(options), `label of ${id}`);
      const instance = this.fleet.get(id);
      if (instance === undefined) throw new TendError('not_found', `simulator: no instance ${id}`);
      this.fleet.relabel(instance, labels);
    });
  }

  destroy(id: InstanceId, _context: DestroyContext, options?: CallOptions): Promise<void> {
    return this.call('destroy', options, () => {
      this.fence.admit(callEpoch(options), `destroy of ${id}`);
      if (this.fleet.remove(id)) this.counters.destroyed++;
    });
  }

  describeInstances(tags: Tags, options?: DescribeOptions): Promise<InstanceDescription[]> {
    return this.call('describe', options, () => {
      if (this.draw(this.currentFaults.describeFailureRate)) {
        throw new TendError('unavailable', 'simulator: describe failed (injected fault)');
      }
      return this.fleet.matching(tags).map(describeInstance);
    });
  }

  watch(listener: (event: InstanceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.stopLoop.abort();
    await this.loop;
  }

  setFaults(faults: Partial<SimulatorFaults>): void {
    this.tick(); // faults due before the change follow the old rates
    this.currentFaults = { ...this.currentFaults, ...checkFaults(faults) };
  }

  faults(): SimulatorFaults {
    return { ...this.currentFaults };
  }

  instances(): SimulatedInstance[] {
    return this.fleet.all().map(copyInstance);
  }

  simulatedHealth(id: InstanceId): Health {
    return this.fleet.get(id)?.health ?? 'unknown';
  }

  setHealth(id: InstanceId, health: Health): void {
    const instance = this.fleet.get(id);
    if (instance === undefined) throw new TendError('not_found', `simulator: no instance ${id}`);
    instance.health = health;
  }

  vanish(id: InstanceId, options: { silent?: boolean } = {}): boolean {
    const instance = this.fleet.get(id);
    if (instance === undefined || !this.fleet.remove(id)) return false;
    this.counters.vanished++;
    if (options.silent !== true) this.emit({ type: 'gone', id, tags: { ...instance.tags } });
    return true;
  }

  stats(): SimulatorStats {
    return structuredClone(this.counters);
  }

  tick(): void {
    const ticks = Math.floor((this.clock.now() - this.lastTickAt) / this.tickMs);
    if (ticks <= 0) return;
    this.lastTickAt += ticks * this.tickMs;
    const { vanishRate, unhealthyRate } = this.currentFaults;
    const outcome = applyTimeFaults({
      fleet: this.fleet,
      ticks,
      vanishRate,
      unhealthyRate,
      random: this.random.time,
    });
    this.counters.turnedUnhealthy += outcome.turnedUnhealthy;
    for (const instance of outcome.vanished) {
      this.counters.vanished++;
      this.logger.debug('instance vanished', { instance: instance.id });
      this.emit({ type: 'gone', id: instance.id, tags: { ...instance.tags } });
    }
  }

  /** Token, then latency, then the effect — a throttled call costs nothing and fails at once. */
  private async call<T>(
    kind: SimulatorCallKind,
    options: CallOptions | undefined,
    effect: () => T,
  ): Promise<T> {
    const counts = this.counters.calls[kind];
    if (this.closed) throw new TendError('unavailable', 'simulator: closed');
    const bucket = this.buckets.get(kind);
    if (bucket !== undefined && !bucket.tryTake()) {
      counts.throttled++;
      throw new TendError('throttled', `simulator: request limit exceeded for ${kind}`, {
        details: { call: kind },
      });
    }
    try {
      await this.sleepLatency(kind, options?.signal);
      // Aborted during the latency: the effect must not happen after the caller gave up.
      if (options?.signal?.aborted === true) throw aborted(kind, options.signal.reason);
      this.tick();
      const result = effect();
      counts.ok++;
      return result;
    } catch (error) {
      counts.error++;
      throw error;
    }
  }

  private async sleepLatency(kind: SimulatorCallKind, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) throw aborted(kind, signal.reason);
    if (this.latency.max === 0) return;
    const ms = randomInt(this.random.latency, Math.ceil(this.latency.min), Math.floor(this.latency.max));
    try {
      await this.clock.sleep(ms, signal);
    } catch (error) {
      throw aborted(kind, error);
    }
  }

  private draw(rate: number): boolean {
    return this.random.calls() < rate;
  }

  private emit(event: InstanceEvent): void {
    for (const listener of this.listeners) {
      // Delivered after the current call finishes, so a listener that calls back in sees a settled fleet.
      queueMicrotask(() => {
        try {
          listener(event);
        } catch (error) {
          this.logger.warn('watch listener failed', { error: String(error) });
        }
      });
    }
  }

  private async runTicks(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.clock.sleep(this.tickMs, signal);
      } catch {
        return; // aborted by close()
      }
      this.tick();
    }
  }
}

function checkProperties(properties: JsonValue | undefined): void {
  const result = propertiesSchema.safeParse(properties);
  if (!result.success) {
    const got = Array.isArray(properties) ? 'a list' : JSON.stringify(properties);
    throw new TendError('invalid_spec', `simulator: properties must be a map, got ${got}`);
  }
}

function aborted(kind: SimulatorCallKind, cause: unknown): TendError {
  return new TendError('timeout', `simulator: ${kind} aborted`, { cause });
}
