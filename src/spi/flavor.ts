import type { InstanceDescription, InstanceSpec } from './instance.js';
import type { CallOptions, JsonValue, LogicalId } from './types.js';

export type Allocation = { size: number } | { logicalIds: readonly LogicalId[] };

export interface FlavorIndex {
  group: string;
  sequence: number;
}

/** `unknown` is never treated as unhealthy. */
export type Health = 'unknown' | 'healthy' | 'unhealthy';

/**
 * A flavor plugin knows one application: it prepares an instance's boot script and tags, judges
 * its health and drains it before it is destroyed. All methods are given the flavor's own
 * `properties` from the group spec.
 */
export interface FlavorPlugin {
  validate(properties: JsonValue | undefined, allocation: Allocation, options?: CallOptions): Promise<void>;
  prepare(
    properties: JsonValue | undefined,
    spec: InstanceSpec,
    allocation: Allocation,
    index: FlavorIndex,
    options?: CallOptions,
  ): Promise<InstanceSpec>;
  healthy(
    properties: JsonValue | undefined,
    instance: InstanceDescription,
    options?: CallOptions,
  ): Promise<Health>;
  drain(
    properties: JsonValue | undefined,
    instance: InstanceDescription,
    options?: CallOptions,
  ): Promise<void>;
  close?(): Promise<void>;
}
