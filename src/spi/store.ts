import type { GroupId, JsonValue } from './types.js';

/**
 * One committed version of a group's spec: the resolved spec with its defaults written in (see
 * docs/decisions.md, "Stored specs carry their defaults"), so a later Tend with other defaults
 * never changes a running group behind its operator's back.
 */
export interface SpecRevision {
  groupId: GroupId;
  /** 1, 2, 3… per group; never reused. */
  revision: number;
  spec: JsonValue;
  author: string;
  /** ISO-8601 time of the commit. */
  at: string;
  reason: string;
  /** A removed group keeps its history; its last revision is a tombstone. */
  deleted?: boolean;
}

/** A group whose latest revision cannot be read: Tend neither runs it nor lets anyone commit to it. */
export interface DamagedGroup {
  groupId: GroupId;
  /** What is wrong, naming the file or key. */
  problem: string;
}

/** An operation the leader is about to ask a provider for, written before the call. */
export interface Intent {
  /** The idempotency key, also sent to the plugin as the `tend.op` tag. */
  key: string;
  groupId: GroupId;
  operation: 'provision' | 'destroy';
  config: string;
  slot?: number;
  logicalId?: string;
  instanceId?: string;
  epoch: number;
  at: string;
}

export interface WriteOptions {
  /** Fencing: the write fails with kind `fenced` unless `epoch` is still the store's current fence. */
  epoch?: number;
}

export interface CommitInput extends WriteOptions {
  groupId: GroupId;
  spec: JsonValue;
  author: string;
  reason: string;
  /** Compare-and-set: fail with kind `conflict` unless the latest revision is this one (0 = none). */
  expectedRevision?: number;
}

/**
 * Holds what users declared, its history and the journal of in-flight operations — never the
 * infrastructure's state. Every write is atomic; writes carrying an epoch are fenced.
 */
export interface ConfigStore {
  commit(input: CommitInput): Promise<SpecRevision>;
  /** Latest revision of a group (tombstones included), or undefined. */
  latest(groupId: GroupId): Promise<SpecRevision | undefined>;
  /**
   * Latest revision of every group that is not deleted. A group whose latest revision is damaged
   * is left out (one bad group must not hide the others) and reported by `listDamaged`.
   */
  list(): Promise<SpecRevision[]>;
  /** Groups whose latest revision cannot be read; commits to them fail until they are repaired. */
  listDamaged(): Promise<DamagedGroup[]>;
  /** Oldest first. */
  history(groupId: GroupId): Promise<SpecRevision[]>;
  remove(groupId: GroupId, input: { author: string; reason: string } & WriteOptions): Promise<void>;

  putIntent(intent: Intent, options?: WriteOptions): Promise<void>;
  clearIntent(key: string, options?: WriteOptions): Promise<void>;
  listIntents(): Promise<Intent[]>;

  /** Controller state that must survive failover (rollout progress, pause flag). */
  putGroupState(groupId: GroupId, state: JsonValue, options?: WriteOptions): Promise<void>;
  getGroupState(groupId: GroupId): Promise<JsonValue | undefined>;

  /** Raise the fence to `epoch` (a new leader does this first). Fails `fenced` if a higher one is set. */
  raiseFence(epoch: number): Promise<void>;
  currentFence(): Promise<number>;

  close(): Promise<void>;
}
