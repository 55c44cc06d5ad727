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

/** How many retired IDs the fleet remembers, so a destroyed instance's ID is not soon reissued. */
export const RETIRED_ID_MEMORY = 65_536;

/**
 * The simulated cloud's state, indexed so it can stand in for a 100,000-instance fleet: by ID, by
 * idempotency key (`tend.op`) and by each `key=value` tag, so provision and describe cost what
 * they return, not the size of the fleet. Describe answers oldest first, which keeps it
 * deterministic.
 */
export class Fleet {
  private readonly byId = new Map<InstanceId, SimulatedInstance>();
  private readonly byOp = new Map<string, InstanceId>();
  private readonly byTag = new Map<string, Set<InstanceId>>();
  /** Creation order of each live instance, to sort an index's answer oldest first. */
  private readonly order = new Map<InstanceId, number>();
  private readonly retired = new Set<InstanceId>();
  private created = 0;

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
    this.order.set(id, this.created++);
    this.index(instance);
    return instance;
  }

  has(id: InstanceId): boolean {
    return this.byId.has(id);
  }

  /** Live now, or retired recently enough that reissuing it would confuse a reader. */
  wasIssued(id: InstanceId): boolean {
    return this.byId.has(id) || this.retired.has(id);
  }

  get(id: InstanceId): SimulatedInstance | undefined {
    return this.byId.get(id);
  }

  remove(id: InstanceId): boolean {
    const instance = this.byId.get(id);
    if (instance === undefined) return false;
    this.unindex(instance);
    this.byId.delete(id);
    this.order.delete(id);
    this.retire(id);
    return true;
  }

  /** Merges `labels` into an instance's tags, keeping the indexes true. */
  relabel(instance: SimulatedInstance, labels: Tags): void {
    this.unindex(instance);
    instance.tags = { ...instance.tags, ...labels };
    this.index(instance);
  }

  /** The live instance carrying this idempotency key, if any (the key is the `tend.op` tag). */
  findByOp(op: string): SimulatedInstance | undefined {
    const id = this.byOp.get(op);
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** Every live instance, oldest first, without copying the fleet. */
  values(): IterableIterator<SimulatedInstance> {
    return this.byId.values();
  }

  all(): SimulatedInstance[] {
    return [...this.byId.values()];
  }

  /** Instances carrying every tag in `tags`, oldest first; scans only the rarest tag's index. */
  matching(tags: Tags): SimulatedInstance[] {
    const wanted = Object.entries(tags);
    if (wanted.length === 0) return this.all();
    let smallest: Set<InstanceId> | undefined;
    for (const [key, value] of wanted) {
      const ids = this.byTag.get(tagKey(key, value));
      if (ids === undefined) return [];
      if (smallest === undefined || ids.size < smallest.size) smallest = ids;
    }
    const found: SimulatedInstance[] = [];
    for (const id of smallest ?? []) {
      const instance = this.byId.get(id);
      if (instance !== undefined && wanted.every(([key, value]) => instance.tags[key] === value)) {
        found.push(instance);
      }
    }
    // A relabel re-adds an ID at the end of its tag sets; creation order keeps answers stable.
    return found.sort((a, b) => (this.order.get(a.id) ?? 0) - (this.order.get(b.id) ?? 0));
  }

  get size(): number {
    return this.byId.size;
  }

  private index(instance: SimulatedInstance): void {
    const op = instance.tags[TAG_OP];
    if (op !== undefined && !this.byOp.has(op)) this.byOp.set(op, instance.id);
    for (const [key, value] of Object.entries(instance.tags)) {
      const k = tagKey(key, value);
      let ids = this.byTag.get(k);
      if (ids === undefined) {
        ids = new Set();
        this.byTag.set(k, ids);
      }
      ids.add(instance.id);
    }
  }

  private unindex(instance: SimulatedInstance): void {
    const op = instance.tags[TAG_OP];
    if (op !== undefined && this.byOp.get(op) === instance.id) this.byOp.delete(op);
    for (const [key, value] of Object.entries(instance.tags)) {
      const k = tagKey(key, value);
      const ids = this.byTag.get(k);
      ids?.delete(instance.id);
      if (ids?.size === 0) this.byTag.delete(k);
    }
  }

  /** Remembers the last RETIRED_ID_MEMORY retired IDs (a Set iterates oldest first). */
  private retire(id: InstanceId): void {
    this.retired.add(id);
    if (this.retired.size > RETIRED_ID_MEMORY) {
      const oldest = this.retired.values().next().value;
      if (oldest !== undefined) this.retired.delete(oldest);
    }
  }
}

function tagKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
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
  const description: InstanceDescription = {
    id: instance.id,
    tags: { ...instance.tags },
    properties,
    // On the simulator's clock, which is the one its manager runs on.
    createdAt: instance.createdAt,
  };
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
