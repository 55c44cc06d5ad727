import type { DeleteBuilder, Etcd3, IKeyValue, Namespace, PutBuilder } from 'etcd3';
import type { z } from 'zod';
import { type Clock, connectEtcd, etcdCall, type Logger, silentLogger, systemClock } from '../lib/index.js';
import {
  type CommitInput,
  type ConfigStore,
  type DamagedGroup,
  type GroupId,
  type Intent,
  type JsonValue,
  type SpecRevision,
  TendError,
  groupId as toGroupId,
  toTendError,
  type WriteOptions,
} from '../spi/index.js';
import {
  checkExpected,
  checkFence,
  checkRaise,
  decodeName,
  encodeName,
  fenceSchema,
  groupStateSchema,
  intentSchema,
  nextRevision,
  notFound,
  parseRecord,
  specRevisionSchema,
  toIntent,
  tombstone,
  toSpecRevision,
} from './records.js';

export interface EtcdStoreOptions {
  endpoints: readonly string[];
  /** Key prefix for this Tend installation, e.g. `tend/prod/`. */
  prefix: string;
  clock?: Clock;
  logger?: Logger;
  /** Bound on each operation; past it the call fails `unavailable` (default 5000 ms). */
  timeoutMs?: number;
}

/** How often a write re-reads and retries when another writer changed the keys it compared. */
const maxAttempts = 20;

type Z<T> = z.ZodType<T>;

/**
 * A ConfigStore in etcd. Keys under the prefix:
 *   fence  ·  latest/<group>  ·  rev/<group>/<revision, zero-padded>  ·  intent/<key>  ·  state/<group>
 * Every write is one transaction that compares what it read: the group's `latest` key (so commits
 * are compare-and-set) and, for a fenced write, the fence key's mod revision after checking its
 * value — so a deposed leader's write fails even if the fence is raised mid-write.
 */
export class EtcdStore implements ConfigStore {
  private readonly client: Etcd3;
  private readonly kv: Namespace;
  private readonly endpoints: readonly string[];
  private readonly clock: Clock;
  private readonly timeoutMs: number;

  private constructor(options: EtcdStoreOptions, client: Etcd3) {
    this.client = client;
    this.kv = client.namespace(options.prefix);
    this.endpoints = options.endpoints;
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? 5000;
    (options.logger ?? silentLogger)
      .child({ component: 'store', backend: 'etcd' })
      .debug('etcd store opened', {
        endpoints: options.endpoints,
        prefix: options.prefix,
      });
  }

  /** Connects and checks that etcd answers, so a wrong endpoint fails here and not on first use. */
  static async create(options: EtcdStoreOptions): Promise<EtcdStore> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const client = connectEtcd({ endpoints: options.endpoints, requestTimeoutMs: Math.min(3000, timeoutMs) });
    const store = new EtcdStore(options, client);
    try {
      await store.currentFence();
    } catch (error) {
      client.close();
      throw error;
    }
    return store;
  }

  async commit(input: CommitInput): Promise<SpecRevision> {
    return this.call(`commit to group ${input.groupId}`, async () => {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const fence = await this.readFence();
        checkFence(input.epoch, fence.epoch, `commit to group ${input.groupId}`);
        const latest = await this.readLatest(input.groupId);
        const latestRevision = latest.value?.revision ?? 0;
        checkExpected(input.groupId, input.expectedRevision, latestRevision);
        const revision = nextRevision(input, latestRevision, this.clock.now());
        if (await this.appendRevision(revision, latest.modRevision, input.epoch, fence.modRevision))
          return revision;
      }
      throw this.contended(`commit to group ${input.groupId}`);
    });
  }

  async latest(groupId: GroupId): Promise<SpecRevision | undefined> {
    return this.call(`latest of group ${groupId}`, async () => (await this.readLatest(groupId)).value);
  }

  async list(): Promise<SpecRevision[]> {
    return this.call('list groups', async () => {
      const { values } = await this.readLatestAll();
      return values.map(toSpecRevision).filter((r) => r.deleted !== true);
    });
  }

  async listDamaged(): Promise<DamagedGroup[]> {
    return this.call('list damaged groups', async () => (await this.readLatestAll()).damaged);
  }

  async history(groupId: GroupId): Promise<SpecRevision[]> {
    return this.call(`history of group ${groupId}`, async () =>
      (await this.readPrefix(`rev/${encodeName(groupId)}/`, specRevisionSchema)).map(toSpecRevision),
    );
  }

  async remove(groupId: GroupId, input: { author: string; reason: string } & WriteOptions): Promise<void> {
    await this.call(`remove of group ${groupId}`, async () => {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const fence = await this.readFence();
        checkFence(input.epoch, fence.epoch, `remove of group ${groupId}`);
        const latest = await this.readLatest(groupId);
        if (latest.value === undefined || latest.value.deleted === true) throw notFound(groupId);
        const removed = tombstone(groupId, latest.value.revision, input, this.clock.now());
        if (await this.appendRevision(removed, latest.modRevision, input.epoch, fence.modRevision)) return;
      }
      throw this.contended(`remove of group ${groupId}`);
    });
  }

  async putIntent(intent: Intent, options: WriteOptions = {}): Promise<void> {
    await this.fencedWrite(`putIntent ${intent.key}`, options.epoch, () =>
      this.kv.put(`intent/${encodeName(intent.key)}`).value(JSON.stringify(intent)),
    );
  }

  async clearIntent(key: string, options: WriteOptions = {}): Promise<void> {
    await this.fencedWrite(`clearIntent ${key}`, options.epoch, () =>
      this.kv.delete().key(`intent/${encodeName(key)}`),
    );
  }

  async listIntents(): Promise<Intent[]> {
    return this.call('list intents', async () =>
      (await this.readPrefix('intent/', intentSchema)).map(toIntent),
    );
  }

  async putGroupState(groupId: GroupId, state: JsonValue, options: WriteOptions = {}): Promise<void> {
    await this.fencedWrite(`putGroupState for group ${groupId}`, options.epoch, () =>
      this.kv.put(`state/${encodeName(groupId)}`).value(JSON.stringify({ groupId, state })),
    );
  }

  async getGroupState(groupId: GroupId): Promise<JsonValue | undefined> {
    return this.call(`getGroupState for group ${groupId}`, async () => {
      const key = `state/${encodeName(groupId)}`;
      const kv = (await this.kv.get(key).exec()).kvs[0];
      return kv === undefined ? undefined : (this.decode(key, kv, groupStateSchema).state as JsonValue);
    });
  }

  async raiseFence(epoch: number): Promise<void> {
    await this.call(`raiseFence(${epoch})`, async () => {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const fence = await this.readFence();
        checkRaise(epoch, fence.epoch);
        const result = await this.kv
          .if('fence', 'Mod', '==', fence.modRevision)
          .then(this.kv.put('fence').value(JSON.stringify({ epoch })))
          .commit();
        if (result.succeeded) return;
      }
      throw this.contended(`raiseFence(${epoch})`);
    });
  }

  async currentFence(): Promise<number> {
    return this.call('read the fence', async () => (await this.readFence()).epoch);
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private async appendRevision(
    revision: SpecRevision,
    latestMod: string,
    epoch: number | undefined,
    fenceMod: string,
  ): Promise<boolean> {
    const group = encodeName(revision.groupId);
    let txn = this.kv.if(`latest/${group}`, 'Mod', '==', latestMod);
    if (epoch !== undefined) txn = txn.and('fence', 'Mod', '==', fenceMod);
    const text = JSON.stringify(revision);
    const result = await txn
      .then(
        this.kv.put(`rev/${group}/${String(revision.revision).padStart(12, '0')}`).value(text),
        this.kv.put(`latest/${group}`).value(text),
      )
      .commit();
    return result.succeeded;
  }

  /** An unfenced write is a plain put; a fenced one a transaction on the fence it checked. */
  private async fencedWrite(
    what: string,
    epoch: number | undefined,
    op: () => PutBuilder | DeleteBuilder,
  ): Promise<void> {
    await this.call(what, async () => {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const fence = await this.readFence();
        checkFence(epoch, fence.epoch, what);
        if (epoch === undefined) {
          await op().exec();
          return;
        }
        const txn = this.kv.if('fence', 'Mod', '==', fence.modRevision).then(op());
        if ((await txn.commit()).succeeded) return;
      }
      throw this.contended(what);
    });
  }

  private async readFence(): Promise<{ epoch: number; modRevision: string }> {
    const kv = (await this.kv.get('fence').exec()).kvs[0];
    if (kv === undefined) return { epoch: 0, modRevision: '0' };
    return { epoch: this.decode('fence', kv, fenceSchema).epoch, modRevision: kv.mod_revision };
  }

  private async readLatest(
    groupId: GroupId,
  ): Promise<{ value: SpecRevision | undefined; modRevision: string }> {
    const key = `latest/${encodeName(groupId)}`;
    const kv = (await this.kv.get(key).exec()).kvs[0];
    if (kv === undefined) return { value: undefined, modRevision: '0' };
    return { value: toSpecRevision(this.decode(key, kv, specRevisionSchema)), modRevision: kv.mod_revision };
  }

  /** Every `latest/` value; one that does not parse marks only its own group damaged. */
  private async readLatestAll(): Promise<{
    values: Array<z.infer<typeof specRevisionSchema>>;
    damaged: DamagedGroup[];
  }> {
    const response = await this.kv.getAll().prefix('latest/').sort('Key', 'Ascend').exec();
    const values: Array<z.infer<typeof specRevisionSchema>> = [];
    const damaged: DamagedGroup[] = [];
    for (const kv of response.kvs) {
      const key = kv.key.toString();
      try {
        values.push(this.decode(key, kv, specRevisionSchema));
      } catch (error) {
        const name = decodeName(key.slice('latest/'.length)) ?? key;
        damaged.push({ groupId: toGroupId(name), problem: toTendError(error).message });
      }
    }
    return { values, damaged };
  }

  private async readPrefix<T>(prefix: string, schema: Z<T>): Promise<T[]> {
    const response = await this.kv.getAll().prefix(prefix).sort('Key', 'Ascend').exec();
    return response.kvs.map((kv) => this.decode(kv.key.toString(), kv, schema));
  }

  /** A value that does not parse was not written by this version of Tend: name the key, refuse. */
  private decode<T>(key: string, kv: IKeyValue, schema: Z<T>): T {
    const result = parseRecord(schema, kv.value.toString('utf8'));
    if (result.ok) return result.value;
    throw new TendError('internal', `etcd key ${key} is damaged: ${result.problem}`, { details: { key } });
  }

  private contended(what: string): TendError {
    return new TendError(
      'unavailable',
      `${what}: gave up after ${maxAttempts} attempts; other writers kept racing`,
    );
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return etcdCall(what, this.endpoints, this.timeoutMs, fn);
  }
}
