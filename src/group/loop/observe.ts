import {
  type FlavorPlugin,
  type GroupSpec,
  type Health,
  INFRAKIT_TAG_CONFIG,
  type InstanceDescription,
  type InstanceId,
  logicalId,
  TAG_CONFIG,
  TAG_LOGICAL,
  TAG_OP,
} from '../../spi/index.js';
import type { ObservedInstance } from '../plan/types.js';
import { departure, type Stability, type StabilityRecord, settle } from './stability.js';

interface HealthRecord extends StabilityRecord {
  health: Health;
  unhealthySince?: number;
  healthySince?: number;
  /** Start of the current streak without an `unhealthy` report (stability counts from here). */
  upSince?: number;
  everHealthy: boolean;
  /** The instance as the planner last saw it: kept while nothing in it changes (no copy a tick). */
  view?: ObservedInstance;
}

export interface HealthChange {
  id: InstanceId;
  /** First time this instance is seen healthy. */
  firstHealthy: boolean;
  becameUnhealthy: boolean;
  /** Healthy for the stable period: proof that a replacement worked. */
  becameStable: boolean;
}

/** An instance Tend created that went away by itself before it was stable. */
export interface EarlyExit {
  id: InstanceId;
  /** From its creation to the look that found it gone. */
  ageMs: number;
  /** Some describe listed it before it went (else it died before anyone saw it). */
  seen: boolean;
}

/**
 * Health history per instance, kept in memory: infrastructure state is never stored (a new
 * leader starts the clocks afresh, which only makes it more patient, never hastier).
 */
export interface HealthTracker {
  observe(
    descriptions: readonly InstanceDescription[],
    health: readonly Health[],
    now: number,
    stability: Stability,
  ): { observed: ObservedInstance[]; changes: HealthChange[]; exits: EarlyExit[]; vanished: InstanceId[] };
  /** Records creation time for an instance Tend just made (grace counts from here). */
  created(id: InstanceId, now: number): void;
  /** The plugin's watch said `gone` (possibly before `created`: a process may exit that fast). */
  gone(id: InstanceId): void;
  /** Tend destroyed it: its absence is no exit. */
  destroyed(id: InstanceId): void;
  everHealthy(id: InstanceId): boolean;
  /**
   * Destroying it to heal is a failed replacement: it never was stable. An instance this leader
   * did not create is judged as before (never healthy), since its age is unknown here.
   */
  unproven(id: InstanceId): boolean;
}

/** `gone` events for IDs not yet known are kept this many deep (IDs are never reused). */
const EARLY_GONE_MEMORY = 256;

export function createHealthTracker(): HealthTracker {
  let records = new Map<InstanceId, HealthRecord>();
  const goneBeforeCreated = new Set<InstanceId>();
  return {
    observe(descriptions, health, now, stability) {
      const next = new Map<InstanceId, HealthRecord>();
      const observed: ObservedInstance[] = [];
      const changes: HealthChange[] = [];
      descriptions.forEach((description, index) => {
        const reported = health[index] ?? 'unknown';
        const before = records.get(description.id);
        const record = advance(before, reported, now, stability, description.createdAt);
        next.set(description.id, record);
        observed.push(viewOf(description, record, before));
        const firstHealthy = record.everHealthy && before?.everHealthy !== true;
        const becameUnhealthy = reported === 'unhealthy' && before?.health !== 'unhealthy';
        const becameStable = record.stable && before?.stable !== true;
        if (firstHealthy || becameUnhealthy || becameStable)
          changes.push({ id: description.id, firstHealthy, becameUnhealthy, becameStable });
      });
      const exits: EarlyExit[] = [];
      // Listed before, not now, and not destroyed by Tend (that forgets the record): it went by itself.
      const vanished: InstanceId[] = [];
      for (const [id, record] of records) {
        if (next.has(id)) continue;
        const verdict = departure(record, now);
        // Not listed yet, but not known gone either: the platform's describe may lag its provision.
        if (verdict === 'pending') {
          next.set(id, record);
          continue;
        }
        if (verdict === 'early') exits.push({ id, ageMs: now - record.firstSeen, seen: record.seen });
        if (record.seen) vanished.push(id);
      }
      records = next; // instances no longer described are forgotten
      return { observed, changes, exits, vanished };
    },
    created(id, now) {
      const gone = goneBeforeCreated.delete(id);
      const base = { firstSeen: now, health: 'unknown' as const, everHealthy: false };
      records.set(id, { ...base, created: true, seen: false, stable: false, gone });
    },
    gone(id) {
      const record = records.get(id);
      if (record !== undefined) {
        record.gone = true;
        return;
      }
      goneBeforeCreated.add(id);
      if (goneBeforeCreated.size > EARLY_GONE_MEMORY) {
        const [oldest] = goneBeforeCreated;
        if (oldest !== undefined) goneBeforeCreated.delete(oldest);
      }
    },
    destroyed(id) {
      records.delete(id);
    },
    everHealthy: (id) => records.get(id)?.everHealthy === true,
    unproven(id) {
      const record = records.get(id);
      if (record === undefined) return true;
      return record.created ? !record.stable : !record.everHealthy;
    },
  };
}

/**
 * The instance as the planner sees it: the one of the last look when neither its record nor its
 * tags changed (checked field by field, nothing built), else a new one. 100,000 instances looked
 * at every second made these copies a good part of the garbage collector's work.
 */
function viewOf(description: InstanceDescription, record: HealthRecord, before: HealthRecord | undefined) {
  const kept = before?.view;
  const { tags } = description;
  const unchanged =
    kept !== undefined &&
    kept.id === description.id &&
    kept.config === (tags[TAG_CONFIG] ?? tags[INFRAKIT_TAG_CONFIG] ?? '') &&
    kept.op === tags[TAG_OP] &&
    kept.logicalId === (description.logicalId ?? tags[TAG_LOGICAL]) &&
    kept.health === record.health &&
    kept.firstSeen === record.firstSeen &&
    kept.unhealthySince === record.unhealthySince &&
    kept.healthySince === record.healthySince;
  const view = unchanged ? kept : toObserved(description, record);
  record.view = view;
  return view;
}

function advance(
  before: HealthRecord | undefined,
  health: Health,
  now: number,
  stability: Stability,
  platformCreatedAt: number | undefined,
): HealthRecord {
  const record: HealthRecord = {
    firstSeen: ageFrom(before?.firstSeen ?? now, platformCreatedAt, now),
    health,
    everHealthy: (before?.everHealthy ?? false) || health === 'healthy',
    created: before?.created ?? false,
    seen: true,
    stable: before?.stable ?? false,
    gone: before?.gone ?? false,
  };
  if (health === 'unhealthy') record.unhealthySince = before?.unhealthySince ?? now;
  if (health === 'healthy') record.healthySince = before?.healthySince ?? now;
  if (health !== 'unhealthy') record.upSince = before?.upSince ?? now;
  record.stable = settle(record, record.upSince, now, stability);
  return record;
}

/**
 * An instance's age counts from when the platform created it, when the plugin says so, so it
 * survives a manager restart or failover (and grace, scale-in order and status agree across
 * leaders). It replaces Tend's own time even for an instance this leader created: that one is
 * the start of the tick that provisioned it, which no later leader could know. A platform time
 * still in the future is a skewed clock: Tend's own time stands until the clocks agree.
 */
function ageFrom(ours: number, platformCreatedAt: number | undefined, now: number): number {
  const valid =
    platformCreatedAt !== undefined &&
    Number.isFinite(platformCreatedAt) &&
    platformCreatedAt > 0 &&
    platformCreatedAt <= now;
  return valid ? platformCreatedAt : ours;
}

/** Joins a description with its health record; reads Tend's tags, then InfraKit's. */
export function toObserved(description: InstanceDescription, record: HealthRecord): ObservedInstance {
  const { tags } = description;
  const observed: ObservedInstance = {
    id: description.id,
    config: tags[TAG_CONFIG] ?? tags[INFRAKIT_TAG_CONFIG] ?? '',
    health: record.health,
    firstSeen: record.firstSeen,
  };
  const logical = description.logicalId ?? tags[TAG_LOGICAL];
  if (logical !== undefined) observed.logicalId = logicalId(logical);
  const op = tags[TAG_OP];
  if (op !== undefined) observed.op = op;
  if (record.unhealthySince !== undefined) observed.unhealthySince = record.unhealthySince;
  if (record.healthySince !== undefined) observed.healthySince = record.healthySince;
  return observed;
}

/**
 * Asks the flavor for every instance's health, 32 at a time; a failing check is `unknown`. The
 * platform's own `unhealthy` verdict (stopped, unreachable) wins without asking the flavor: an
 * instance the platform cannot run is not healthy whatever its application would say.
 */
export async function healthOf(
  flavor: FlavorPlugin,
  list: readonly InstanceDescription[],
  spec: GroupSpec,
  signal: AbortSignal,
): Promise<Health[]> {
  const result: Health[] = new Array<Health>(list.length).fill('unknown');
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < list.length; i = next++) {
      const instance = list[i];
      if (instance === undefined) continue;
      if (instance.platformHealth === 'unhealthy') {
        result[i] = 'unhealthy';
        continue;
      }
      result[i] = await flavor
        .healthy(spec.flavor.properties, instance, { signal })
        .catch((): Health => 'unknown');
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, list.length) }, worker));
  return result;
}
