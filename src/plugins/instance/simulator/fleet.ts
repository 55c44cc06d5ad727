import {
  type Health,
  type InstanceDescription,
  type InstanceId,
  type InstanceSpec,
  type JsonValue,
  type LogicalId,
  TAG_OP,
  type Tags,
} from '../../../spi/index.js';

/** One instance of the simulated cloud, as `instances()` shows it. */
export interface SimulatedInstance {
  id: InstanceId;
  logicalId?: LogicalId;
  tags: Tags;
  properties?: JsonValue;
  init: string;
  health: Health;
  /** Clock time of creation. */
  createdAt: number;
}

/** The simulated cloud's state. Map order is creation order, which keeps describe deterministic. */
export class Fleet {
  private readonly byId = new Map<InstanceId, SimulatedInstance>();

  create(id: InstanceId, spec: InstanceSpec, now: number): SimulatedInstance {
    const instance: SimulatedInstance = {
      id,
      tags: { ...spec.tags },
      init: spec.init,
      health: 'healthy',
      createdAt: now,
    };
    if (spec.logicalId !== undefined) instance.logicalId = spec.logicalId;
    if (spec.properties !== undefined) instance.properties = structuredClone(spec.properties);
    this.byId.set(id, instance);
    return instance;
  }

  has(id: InstanceId): boolean {
    return this.byId.has(id);
  }

  get(id: InstanceId): SimulatedInstance | undefined {
    return this.byId.get(id);
  }

  remove(id: InstanceId): boolean {
    return this.byId.delete(id);
  }

  /** The live instance carrying this idempotency key, if any (the key is the `tend.op` tag). */
  findByOp(op: string): SimulatedInstance | undefined {
    for (const instance of this.byId.values()) if (instance.tags[TAG_OP] === op) return instance;
    return undefined;
  }

  all(): SimulatedInstance[] {
    return [...this.byId.values()];
  }

  matching(tags: Tags): SimulatedInstance[] {
    const wanted = Object.entries(tags);
    return this.all().filter((instance) => wanted.every(([key, value]) => instance.tags[key] === value));
  }

  get size(): number {
    return this.byId.size;
  }
}

export function copyInstance(instance: SimulatedInstance): SimulatedInstance {
  return structuredClone(instance);
}

/**
 * Always with properties, whatever the caller asked: a test flavor judges health from
 * `properties.health`, and the controller may describe without asking for properties.
 */
export function describeInstance(instance: SimulatedInstance): InstanceDescription {
  const properties: JsonValue = {
    health: instance.health,
    createdAt: instance.createdAt,
    init: instance.init,
    spec: instance.properties === undefined ? null : structuredClone(instance.properties),
  };
  const description: InstanceDescription = { id: instance.id, tags: { ...instance.tags }, properties };
  if (instance.logicalId !== undefined) description.logicalId = instance.logicalId;
  return description;
}

/** Reads the health the simulator put in a description, for test flavors; `unknown` otherwise. */
export function simulatedHealthOf(description: InstanceDescription): Health {
  const properties = description.properties;
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) return 'unknown';
  const health = properties.health;
  return health === 'healthy' || health === 'unhealthy' ? health : 'unknown';
}
