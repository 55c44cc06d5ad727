import { randomBytes } from 'node:crypto';
import {
  type InstanceDescription,
  type InstanceId,
  type InstancePlugin,
  type InstanceSpec,
  type JsonValue,
  logicalId,
  TAG_GROUP,
  TAG_OP,
  type Tags,
} from '../spi/index.js';
import { errorKind } from './check.js';

export interface InstanceContractOptions {
  /** Properties the plugin must accept; used for every provision. */
  properties?: JsonValue;
  /** Properties the plugin must reject with kind `invalid_spec`; that check is skipped without them. */
  invalidProperties?: JsonValue;
  /**
   * Boot script for provisioned instances. Defaults to `sleep 300`: an instance must stay alive
   * for the length of a check, so a script that exits at once would make it vanish.
   */
  init?: string;
  /**
   * `required` (default): a retried provision with the same `tend.op` must return the same
   * instance, as Tend's own plugins do. `noted`: a plugin that makes another is reported, not
   * failed (`tend plugin verify` of a socket: InfraKit's plugins know nothing of the key).
   */
  opKey?: 'required' | 'noted';
}

export const defaultInit = 'sleep 300';

export function randomToken(): string {
  return randomBytes(6).toString('hex');
}

/**
 * Everything one check provisions, under a group tag of its own so concurrent or leftover
 * instances from other checks never show up in its describes.
 */
export class InstanceScope {
  readonly group: string;
  readonly plugin: InstancePlugin;
  readonly signal: AbortSignal;
  private readonly options: InstanceContractOptions;
  private readonly created = new Set<InstanceId>();

  constructor(scope: { plugin: InstancePlugin; signal: AbortSignal; options: InstanceContractOptions }) {
    this.group = `contract-${randomToken()}`;
    this.plugin = scope.plugin;
    this.signal = scope.signal;
    this.options = scope.options;
  }

  /** The group tag plus `extra`; every spec gets its own `tend.op` unless `extra` sets one. */
  spec(extra: { tags?: Tags; logicalId?: string } = {}): InstanceSpec {
    const spec: InstanceSpec = {
      tags: { [TAG_GROUP]: this.group, [TAG_OP]: `op-${randomToken()}`, ...extra.tags },
      init: this.options.init ?? defaultInit,
      attachments: [],
    };
    if (this.options.properties !== undefined) spec.properties = this.options.properties;
    if (extra.logicalId !== undefined) spec.logicalId = logicalId(extra.logicalId);
    return spec;
  }

  async provision(spec: InstanceSpec): Promise<InstanceId> {
    const id = await this.plugin.provision(spec, { signal: this.signal });
    if (typeof id !== 'string' || id.length === 0) {
      throw new Error(`provision returned ${JSON.stringify(id)}, expected a non-empty instance ID`);
    }
    this.created.add(id);
    return id;
  }

  /** Destroys through the plugin and forgets the ID, so cleanup does not destroy it again. */
  async destroy(id: InstanceId): Promise<void> {
    await this.plugin.destroy(id, { reason: 'terminate' }, { signal: this.signal });
    this.created.delete(id);
  }

  /** Describes with the group tag added to `tags`. */
  async describe(tags: Tags = {}, properties = false): Promise<InstanceDescription[]> {
    const found = await this.plugin.describeInstances(
      { [TAG_GROUP]: this.group, ...tags },
      { signal: this.signal, properties },
    );
    if (!Array.isArray(found)) throw new Error('describeInstances did not return an array');
    return found;
  }

  /** Destroys what this scope created and anything else left under its group tag. */
  async cleanup(): Promise<void> {
    const ids = new Set(this.created);
    try {
      for (const found of await this.plugin.describeInstances({ [TAG_GROUP]: this.group })) ids.add(found.id);
    } catch {
      // The recorded IDs are still destroyed below; a failing describe is reported by its own check.
    }
    const failures: string[] = [];
    for (const id of ids) {
      try {
        await this.plugin.destroy(id, { reason: 'terminate' });
      } catch (error) {
        if (errorKind(error) !== 'not_found') failures.push(`${id}: ${String(error)}`);
      }
    }
    if (failures.length > 0) throw new Error(`cleanup could not destroy ${failures.join('; ')}`);
  }
}

/** Runs `body` in a fresh scope, then cleans up; a body failure wins over a cleanup failure. */
export async function withScope(
  plugin: InstancePlugin,
  signal: AbortSignal,
  options: InstanceContractOptions,
  body: (scope: InstanceScope) => Promise<void>,
): Promise<void> {
  const scope = new InstanceScope({ plugin, signal, options });
  try {
    await body(scope);
  } catch (error) {
    await scope.cleanup().catch(() => undefined);
    throw error;
  }
  await scope.cleanup();
}
