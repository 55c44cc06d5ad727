import { formatDuration } from '../../lib/index.js';
import type { GroupSpec, JsonObject } from '../../spi/index.js';

/** Tend's camelCase document for a resolved spec (durations as strings); parses back to `spec`. */
export function specToDocument(spec: GroupSpec): JsonObject {
  const allocation: JsonObject =
    'logicalIds' in spec.allocation
      ? { logicalIds: [...spec.allocation.logicalIds] }
      : { size: spec.allocation.size };
  const plugin = (ref: GroupSpec['instance']): JsonObject => {
    const out: JsonObject = { plugin: ref.plugin };
    if (ref.properties !== undefined) out.properties = ref.properties;
    return out;
  };
  return {
    id: spec.id,
    allocation,
    instance: plugin(spec.instance),
    flavor: plugin(spec.flavor),
    ...policiesToDocument(spec),
  };
}

export function policiesToDocument(spec: Pick<GroupSpec, 'health' | 'update' | 'scaleIn'>): JsonObject {
  return {
    health: {
      grace: formatDuration(spec.health.graceMs),
      unhealthyAfter: formatDuration(spec.health.unhealthyAfterMs),
      maxInFlight: spec.health.maxInFlight,
    },
    update: {
      maxSurge: spec.update.maxSurge,
      maxUnavailable: spec.update.maxUnavailable,
      healthyFor: formatDuration(spec.update.healthyForMs),
      timeout: formatDuration(spec.update.timeoutMs),
      onFailure: spec.update.onFailure,
    },
    scaleIn: { order: spec.scaleIn.order },
  };
}
