import { type Clock, systemClock } from '../lib/index.js';
import type {
  CommitInput,
  ConfigStore,
  DamagedGroup,
  GroupId,
  Intent,
  JsonValue,
  SpecRevision,
  WriteOptions,
} from '../spi/index.js';
import { checkExpected, checkFence, checkRaise, nextRevision, notFound, tombstone } from './records.js';

/** What several MemoryStore objects share when they stand for one backend. */
interface MemoryData {
  histories: Map<GroupId, SpecRevision[]>;
  intents: Map<string, Intent>;
  states: Map<GroupId, JsonValue>;
  fence: number;
}

export interface MemorySnapshot {
  histories: Array<[GroupId, SpecRevision[]]>;
  intents: Intent[];
  states: Array<[GroupId, JsonValue]>;
  fence: number;
}

export interface MemoryStoreOptions {
  clock?: Clock;
  /** Use the same data as this store, as a second manager process would see one backend. */
  shareWith?: MemoryStore;
}

/**
 * A ConfigStore in this process's memory, for tests and `--simulate`. Values are copied in and
 * out, so a caller mutating what it passed or got back cannot change the store behind its back.
 */
export class MemoryStore implements ConfigStore {
  private readonly clock: Clock;
  private readonly data: MemoryData;

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.data = options.shareWith?.data ?? {
      histories: new Map(),
      intents: new Map(),
      states: new Map(),
      fence: 0,
    };
  }

  /** Everything this store holds, as plain JSON (the swarm store keeps it in the swarm). */
  snapshot(): MemorySnapshot {
    return structuredClone({
      histories: [...this.data.histories.entries()],
      intents: [...this.data.intents.values()],
      states: [...this.data.states.entries()],
      fence: this.data.fence,
    });
  }

  /** A store holding what `snapshot()` returned. */
  static fromSnapshot(snapshot: MemorySnapshot, clock?: Clock): MemoryStore {
    const store = new MemoryStore(clock === undefined ? {} : { clock });
    const copy = structuredClone(snapshot);
    for (const [id, history] of copy.histories) store.data.histories.set(id, history);
    for (const intent of copy.intents) store.data.intents.set(intent.key, intent);
    for (const [id, state] of copy.states) store.data.states.set(id, state);
    store.data.fence = copy.fence;
    return store;
  }

  /** Another store object on the same data, as a second manager process would see one backend. */
  sibling(): MemoryStore {
    return new MemoryStore({ clock: this.clock, shareWith: this });
  }

  async commit(input: CommitInput): Promise<SpecRevision> {
    checkFence(input.epoch, this.data.fence, `commit to group ${input.groupId}`);
    const history = this.data.histories.get(input.groupId) ?? [];
    const latest = history.at(-1)?.revision ?? 0;
    checkExpected(input.groupId, input.expectedRevision, latest);
    // A copy, so the caller changing its spec object later cannot change the history.
    const revision = structuredClone(nextRevision(input, latest, this.clock.now()));
    this.data.histories.set(input.groupId, [...history, revision]);
    return structuredClone(revision);
  }

  async latest(groupId: GroupId): Promise<SpecRevision | undefined> {
    const last = this.data.histories.get(groupId)?.at(-1);
    return last === undefined ? undefined : structuredClone(last);
  }

  async list(): Promise<SpecRevision[]> {
    const out: SpecRevision[] = [];
    for (const history of this.data.histories.values()) {
      const last = history.at(-1);
      if (last !== undefined && last.deleted !== true) out.push(structuredClone(last));
    }
    return out.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** Memory cannot be damaged from outside. */
  async listDamaged(): Promise<DamagedGroup[]> {
    return [];
  }

  async history(groupId: GroupId): Promise<SpecRevision[]> {
    return structuredClone(this.data.histories.get(groupId) ?? []);
  }

  async remove(groupId: GroupId, input: { author: string; reason: string } & WriteOptions): Promise<void> {
    checkFence(input.epoch, this.data.fence, `remove of group ${groupId}`);
    const history = this.data.histories.get(groupId) ?? [];
    const last = history.at(-1);
    if (last === undefined || last.deleted === true) throw notFound(groupId);
    this.data.histories.set(groupId, [
      ...history,
      tombstone(groupId, last.revision, input, this.clock.now()),
    ]);
  }

  async putIntent(intent: Intent, options: WriteOptions = {}): Promise<void> {
    checkFence(options.epoch, this.data.fence, `putIntent ${intent.key}`);
    this.data.intents.set(intent.key, structuredClone(intent));
  }

  async clearIntent(key: string, options: WriteOptions = {}): Promise<void> {
    checkFence(options.epoch, this.data.fence, `clearIntent ${key}`);
    this.data.intents.delete(key);
  }

  async listIntents(): Promise<Intent[]> {
    return [...this.data.intents.values()]
      .map((intent) => structuredClone(intent))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async putGroupState(groupId: GroupId, state: JsonValue, options: WriteOptions = {}): Promise<void> {
    checkFence(options.epoch, this.data.fence, `putGroupState for group ${groupId}`);
    this.data.states.set(groupId, structuredClone(state));
  }

  async getGroupState(groupId: GroupId): Promise<JsonValue | undefined> {
    const state = this.data.states.get(groupId);
    return state === undefined ? undefined : structuredClone(state);
  }

  async raiseFence(epoch: number): Promise<void> {
    checkRaise(epoch, this.data.fence);
    this.data.fence = epoch;
  }

  async currentFence(): Promise<number> {
    return this.data.fence;
  }

  async close(): Promise<void> {}
}
