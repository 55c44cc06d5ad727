import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type Docker from 'dockerode';
import {
  backoffDelay,
  type Clock,
  type Cluster,
  clusterRead,
  clusterWriteLabels,
  systemClock,
} from '../lib/index.js';
import {
  type CommitInput,
  type ConfigStore,
  type DamagedGroup,
  type GroupId,
  type Intent,
  type JsonValue,
  type SpecRevision,
  TendError,
  type WriteOptions,
} from '../spi/index.js';
import { type MemorySnapshot, MemoryStore } from './memory-store.js';

/** Most bytes the encoded store may take in the cluster object (deflated, base64). */
export const SWARM_STORE_MAX_BYTES = 512 * 1024;
/** Bytes per cluster label; the store spans `<prefix>.0` … `<prefix>.N`. */
const CHUNK = 64 * 1024;
/** Compare-and-swap rounds before a write gives up (each loses only to another write). */
const ATTEMPTS = 50;

export interface SwarmStoreOptions {
  /** A manager engine of the swarm. */
  docker: Docker;
  /** Label prefix on the cluster spec (default `tend.store`); managers sharing specs must agree. */
  prefix?: string;
  clock?: Clock;
}

/**
 * Specs, history, journal, group state and fence kept in the swarm's Raft store, as InfraKit
 * did: labels on the swarm's cluster object. The whole store is one document (JSON, deflated,
 * base64, split over labels of 64 KiB), read and written as a unit: each write reads the cluster,
 * applies the change (with the same checks as every store: fence, expected revision), and
 * writes back naming the version it read, so SwarmKit refuses it if anyone wrote in between
 * and it is retried on fresh data. The fence check and the write are therefore one atomic
 * step: a deposed leader, whose epoch is below the fence the new leader raised, cannot write.
 * The encoded document is capped at 512 KiB (SwarmKit's Raft proposals are limited to ~1.5 MB
 * and every write carries the whole cluster object); a write that would exceed it fails
 * `invalid_spec`, naming the size, and changes nothing.
 */
export class SwarmStore implements ConfigStore {
  private readonly docker: Docker;
  private readonly prefix: string;
  private readonly clock: Clock;
  private cache: { raw: string; snapshot: MemorySnapshot } | undefined;

  private constructor(options: SwarmStoreOptions) {
    this.docker = options.docker;
    this.prefix = options.prefix ?? 'tend.store';
    this.clock = options.clock ?? systemClock;
  }

  /** Opens the store; fails `unavailable` if the engine is not a swarm manager. */
  static async create(options: SwarmStoreOptions): Promise<SwarmStore> {
    const store = new SwarmStore(options);
    await store.read();
    return store;
  }

  commit(input: CommitInput): Promise<SpecRevision> {
    return this.mutate((m) => m.commit(input));
  }
  async latest(groupId: GroupId): Promise<SpecRevision | undefined> {
    return (await this.read()).latest(groupId);
  }
  async list(): Promise<SpecRevision[]> {
    return (await this.read()).list();
  }
  async listDamaged(): Promise<DamagedGroup[]> {
    return [];
  }
  async history(groupId: GroupId): Promise<SpecRevision[]> {
    return (await this.read()).history(groupId);
  }
  remove(groupId: GroupId, input: { author: string; reason: string } & WriteOptions): Promise<void> {
    return this.mutate((m) => m.remove(groupId, input));
  }
  putIntent(intent: Intent, options?: WriteOptions): Promise<void> {
    return this.mutate((m) => m.putIntent(intent, options));
  }
  clearIntent(key: string, options?: WriteOptions): Promise<void> {
    return this.mutate((m) => m.clearIntent(key, options));
  }
  async listIntents(): Promise<Intent[]> {
    return (await this.read()).listIntents();
  }
  putGroupState(groupId: GroupId, state: JsonValue, options?: WriteOptions): Promise<void> {
    return this.mutate((m) => m.putGroupState(groupId, state, options));
  }
  async getGroupState(groupId: GroupId): Promise<JsonValue | undefined> {
    return (await this.read()).getGroupState(groupId);
  }
  raiseFence(epoch: number): Promise<void> {
    return this.mutate((m) => m.raiseFence(epoch));
  }
  async currentFence(): Promise<number> {
    return (await this.read()).currentFence();
  }
  async close(): Promise<void> {}

  private async read(): Promise<MemoryStore> {
    return (await this.load()).memory;
  }

  private async load(): Promise<{ cluster: Cluster; memory: MemoryStore; raw: string }> {
    let cluster: Cluster;
    try {
      cluster = await clusterRead(this.docker);
    } catch (error) {
      if (TendError.is(error)) throw error;
      throw new TendError(
        'unavailable',
        `swarm store: could not read the cluster object (${String(error)})`,
        {
          cause: error,
        },
      );
    }
    const labels = cluster.spec.Labels ?? {};
    const count = Number(labels[`${this.prefix}.chunks`] ?? '0');
    let raw = '';
    for (let i = 0; i < count; i++) raw += labels[`${this.prefix}.${i}`] ?? '';
    if (raw === '') return { cluster, memory: new MemoryStore({ clock: this.clock }), raw };
    if (this.cache?.raw !== raw) this.cache = { raw, snapshot: this.decode(raw) };
    return { cluster, memory: MemoryStore.fromSnapshot(this.cache.snapshot, this.clock), raw };
  }

  private decode(raw: string): MemorySnapshot {
    try {
      return JSON.parse(inflateRawSync(Buffer.from(raw, 'base64')).toString('utf8')) as MemorySnapshot;
    } catch (error) {
      throw new TendError(
        'internal',
        `swarm store: the cluster labels ${this.prefix}.* do not hold a readable store (${String(error)})`,
        { cause: error },
      );
    }
  }

  private async mutate<T>(change: (memory: MemoryStore) => Promise<T>): Promise<T> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const { cluster, memory, raw } = await this.load();
      const result = await change(memory);
      const encoded = deflateRawSync(JSON.stringify(memory.snapshot())).toString('base64');
      if (encoded.length > SWARM_STORE_MAX_BYTES) {
        throw new TendError(
          'invalid_spec',
          `swarm store: this write would make the store ${encoded.length} bytes (deflated), over its ${SWARM_STORE_MAX_BYTES}-byte limit in the swarm's cluster object; nothing was written`,
          { details: { bytes: encoded.length, limit: SWARM_STORE_MAX_BYTES } },
        );
      }
      if (encoded === raw) return result;
      const changes: Record<string, string | undefined> = {};
      const oldCount = Number(cluster.spec.Labels?.[`${this.prefix}.chunks`] ?? '0');
      const count = Math.ceil(encoded.length / CHUNK);
      for (let i = 0; i < Math.max(count, oldCount); i++) {
        changes[`${this.prefix}.${i}`] = i < count ? encoded.slice(i * CHUNK, (i + 1) * CHUNK) : undefined;
      }
      changes[`${this.prefix}.chunks`] = String(count);
      if (await clusterWriteLabels(this.docker, cluster, changes)) return result;
      // Another writer won the compare-and-swap: back off with jitter so the two do not collide again.
      await this.clock.sleep(10 + backoffDelay(attempt, { baseMs: 40, capMs: 200 }));
    }
    throw new TendError(
      'unavailable',
      `swarm store: ${ATTEMPTS} compare-and-swap rounds lost to other writers`,
    );
  }
}
