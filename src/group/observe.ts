import {
  type Health,
  INFRAKIT_TAG_CONFIG,
  type InstanceDescription,
  type InstanceId,
  logicalId,
  TAG_CONFIG,
  TAG_LOGICAL,
  TAG_OP,
} from '../spi/index.js';
import type { ObservedInstance } from './plan-types.js';

interface HealthRecord {
  firstSeen: number;
  health: Health;
  unhealthySince?: number;
  healthySince?: number;
  everHealthy: boolean;
}

export interface HealthChange {
  id: InstanceId;
  /** First time this instance is seen healthy: proof that a replacement worked. */
  firstHealthy: boolean;
  becameUnhealthy: boolean;
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
  ): { observed: ObservedInstance[]; changes: HealthChange[] };
  /** Records creation time for an instance Tend just made (grace counts from here). */
  created(id: InstanceId, now: number): void;
  everHealthy(id: InstanceId): boolean;
}

export function createHealthTracker(): HealthTracker {
  let records = new Map<InstanceId, HealthRecord>();
  return {
    observe(descriptions, health, now) {
      const next = new Map<InstanceId, HealthRecord>();
      const observed: ObservedInstance[] = [];
      const changes: HealthChange[] = [];
      descriptions.forEach((description, index) => {
        const reported = health[index] ?? 'unknown';
        const before = records.get(description.id);
        const record = advance(before, reported, now);
        next.set(description.id, record);
        observed.push(toObserved(description, record));
        const firstHealthy = record.everHealthy && before?.everHealthy !== true;
        const becameUnhealthy = reported === 'unhealthy' && before?.health !== 'unhealthy';
        if (firstHealthy || becameUnhealthy)
          changes.push({ id: description.id, firstHealthy, becameUnhealthy });
      });
      records = next; // instances no longer described are forgotten
      return { observed, changes };
    },
    created(id, now) {
      records.set(id, { firstSeen: now, health: 'unknown', everHealthy: false });
    },
    everHealthy: (id) => records.get(id)?.everHealthy === true,
  };
}

function advance(before: HealthRecord | undefined, health: Health, now: number): HealthRecord {
  const record: HealthRecord = {
    firstSeen: before?.firstSeen ?? now,
    health,
    everHealthy: (before?.everHealthy ?? false) || health === 'healthy',
  };
  if (health === 'unhealthy') record.unhealthySince = before?.unhealthySince ?? now;
  if (health === 'healthy') record.healthySince = before?.healthySince ?? now;
  return record;
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
