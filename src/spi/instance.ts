import type { CallOptions, InstanceId, JsonValue, LogicalId, Tags } from './types.js';

export interface Attachment {
  id: string;
  type: string;
}

/** What the controller asks an instance plugin to create. */
export interface InstanceSpec {
  properties?: JsonValue;
  tags: Tags;
  /** Boot script prepared by the flavor; the platform runs it (cloud-init, container command, `sh -c`). */
  init: string;
  logicalId?: LogicalId;
  attachments: readonly Attachment[];
}

export interface InstanceDescription {
  id: InstanceId;
  logicalId?: LogicalId;
  tags: Tags;
  properties?: JsonValue;
  /**
   * When the platform created the instance, in ms since the epoch (process start time, container
   * `Created`, EC2 launch time, claim time). Stable across manager restarts and failovers, so an
   * instance's age does not reset; absent when the platform cannot tell.
   */
  createdAt?: number;
  /**
   * The platform's own verdict, independent of any flavor: `unhealthy` for an instance that is
   * stopped, unreachable or failing the platform's status checks. The controller treats it like a
   * flavor's `unhealthy` (replaced after `unhealthyAfter`); absent means no opinion.
   */
  platformHealth?: PlatformHealth;
  /** Why, in a few words for status (`stopped`, `unreachable: connect ETIMEDOUT`). */
  platformStatus?: string;
  /** Where it lives, for an operator to find it (`tend describe`, the dashboard); absent when unknown. */
  location?: InstanceLocation;
}

/**
 * Where an instance runs, in the platform's own terms. A plugin fills what its platform has (the
 * process plugin a PID and host, docker a container ID and address, ec2 an address); every field
 * is optional, and Tend never acts on them: they are for people.
 */
export interface InstanceLocation {
  pid?: number;
  containerId?: string;
  /** An IP address or host name the instance answers on. */
  address?: string;
  /** The machine it runs on. */
  host?: string;
}

export type PlatformHealth = 'healthy' | 'unhealthy';

export interface LogsOptions extends CallOptions {
  /** Only the last this many bytes; the plugin may return less. */
  tailBytes?: number;
  /**
   * Only output written at or after this time (ms since the epoch). A plugin whose log has no
   * line times (process, hosts, ec2) returns the whole tail if the log changed since then and
   * nothing if it did not.
   */
  sinceMs?: number;
}

/** Why an instance is destroyed. InfraKit sends `terminate` or `rolling_update`; Tend adds its own. */
export interface DestroyContext {
  reason: string;
}

export interface DescribeOptions extends CallOptions {
  /** Ask the plugin to include each instance's platform properties. */
  properties?: boolean;
}

/** A platform change the plugin noticed by itself (process exit, docker `die` event…). */
export interface InstanceEvent {
  type: 'gone' | 'changed';
  id: InstanceId;
  tags?: Tags;
}

/**
 * An instance plugin knows one platform.
 *
 * Failure semantics: if `provision` rejects, the instance may or may not exist (a lost response);
 * the controller finds out by describing with the `tend.op` key it sent. A plugin that already
 * holds an instance whose `tend.op` tag equals the spec's returns that instance instead of
 * creating another one. `destroy` of an instance that no longer exists succeeds.
 * Errors are `TendError`s; `throttled` means "slow down", `invalid_spec` means "do not retry".
 */
export interface InstancePlugin {
  validate(properties: JsonValue | undefined, options?: CallOptions): Promise<void>;
  provision(spec: InstanceSpec, options?: CallOptions): Promise<InstanceId>;
  label(id: InstanceId, labels: Tags, options?: CallOptions): Promise<void>;
  destroy(id: InstanceId, context: DestroyContext, options?: CallOptions): Promise<void>;
  /** Instances carrying every one of `tags`. A rejection means "I do not know", never "none". */
  describeInstances(tags: Tags, options?: DescribeOptions): Promise<InstanceDescription[]>;
  /**
   * Optional log extension: the instance's output (boot script, console) as text. Rejects with
   * `not_found` for an unknown instance; an empty string means the instance has printed nothing.
   */
  logs?(id: InstanceId, options?: LogsOptions): Promise<string>;
  /** Optional: subscribe to changes the plugin sees on its own; returns an unsubscribe function. */
  watch?(listener: (event: InstanceEvent) => void): () => void;
  /** Optional: release sockets, timers, child processes. */
  close?(): Promise<void>;
}
