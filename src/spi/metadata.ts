import type { JsonValue } from './types.js';

/**
 * A path into a plugin's metadata tree, InfraKit's `types.Path`: `["specs", "web"]`. A list
 * element is named by its index in brackets, `["groups", "web", "Instances", "[0]"]`.
 */
export type MetadataPath = readonly string[];

/**
 * InfraKit's read-only `Metadata/0.1.0` service: a tree of JSON values browsed by path
 * (`infrakit metadata ls` / `cat`). Reads only; a failure is an error of the plugin, an absent
 * node is not (it answers `undefined`, `null` on the wire, as InfraKit's does).
 */
export interface MetadataPlugin {
  /** The names of the children of the node at `path`, sorted; `undefined` when there is no node. */
  list(path: MetadataPath): Promise<string[] | undefined>;
  /** The value at `path`; `undefined` when there is none. */
  get(path: MetadataPath): Promise<JsonValue | undefined>;
}

/**
 * InfraKit's `Manager/0.1.0` service. InfraKit's CLI (`manager inspect`, `manager commit`) asks
 * every plugin that announces it whether it leads, and acts only through one that does.
 */
export interface ManagerPlugin {
  /** True only when this manager is the leader for certain; false when not, or unknown. */
  isLeader(): Promise<boolean>;
}

/** One change of InfraKit's `Updatable.Changes`: the value to put at `path`. */
export interface MetadataChange {
  path: MetadataPath;
  value: JsonValue;
}

/** What `Updatable.Changes` proposes: the document now, the document changed, and its hash. */
export interface ProposedChange {
  original: JsonValue;
  proposed: JsonValue;
  /** Names this pair; `commit` refuses a proposal whose original is no longer current. */
  cas: string;
}

/**
 * InfraKit's `Updatable/0.1.0` service (`infrakit manager change`): a metadata tree with a
 * document that can be changed by path, in two steps — propose, then commit with the hash.
 */
export interface UpdatablePlugin extends MetadataPlugin {
  changes(changes: readonly MetadataChange[]): Promise<ProposedChange>;
  /** Throws `conflict` when the document changed since the proposal (the hash differs). */
  commit(proposed: JsonValue, cas: string): Promise<void>;
}
