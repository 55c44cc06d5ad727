// The one place that converts between InfraKit's wire names and Tend's camelCase spi types.
// `from*` accept the lenient zod-parsed wire shapes (null where Go leaves a field empty); `to*`
// produce what an InfraKit peer expects.
import type { z } from 'zod';
import {
  type Allocation,
  type Attachment,
  type FlavorIndex,
  type Health,
  INFRAKIT_TAG_CONFIG,
  type InstanceDescription,
  type InstanceLocation,
  type InstanceSpec,
  type InstanceStatus,
  instanceId,
  type JsonValue,
  logicalId,
  TAG_CONFIG,
  type Tags,
} from '../spi/index.js';
import type {
  WireAllocation,
  WireInstanceDescription,
  WireInstanceSpec,
  wireGroupInstance,
  wireIndex,
} from './wire.js';

export type WireObject = { [key: string]: JsonValue };

export function tagsFromWire(tags: Readonly<Record<string, string>> | null | undefined): Tags {
  return tags ?? {};
}

export function instanceSpecToWire(spec: InstanceSpec): WireObject {
  return {
    Properties: spec.properties ?? null,
    Tags: { ...spec.tags },
    Init: spec.init,
    ...(spec.logicalId === undefined ? {} : { LogicalID: spec.logicalId }),
    Attachments: spec.attachments.map((a) => ({ ID: a.id, Type: a.type })),
  };
}

export function instanceSpecFromWire(wire: WireInstanceSpec): InstanceSpec {
  const attachments: Attachment[] = (wire.Attachments ?? []).map((a) => ({ id: a.ID, type: a.Type ?? '' }));
  const spec: InstanceSpec = { tags: tagsFromWire(wire.Tags), init: wire.Init ?? '', attachments };
  if (wire.Properties !== undefined && wire.Properties !== null) spec.properties = wire.Properties;
  if (wire.LogicalID !== undefined && wire.LogicalID !== null && wire.LogicalID !== '') {
    spec.logicalId = logicalId(wire.LogicalID);
  }
  return spec;
}

export function descriptionToWire(description: InstanceDescription): WireObject {
  return {
    ID: description.id,
    ...(description.logicalId === undefined ? {} : { LogicalID: description.logicalId }),
    Tags: { ...description.tags },
    ...(description.properties === undefined ? {} : { Properties: description.properties }),
    ...(description.createdAt === undefined ? {} : { CreatedAt: description.createdAt }),
    ...(description.platformHealth === undefined ? {} : { PlatformHealth: description.platformHealth }),
    ...(description.platformStatus === undefined ? {} : { PlatformStatus: description.platformStatus }),
    ...(description.location === undefined ? {} : { Location: locationToWire(description.location) }),
  };
}

export function locationToWire(location: InstanceLocation): WireObject {
  return {
    ...(location.pid === undefined ? {} : { PID: location.pid }),
    ...(location.containerId === undefined ? {} : { ContainerID: location.containerId }),
    ...(location.address === undefined ? {} : { Address: location.address }),
    ...(location.host === undefined ? {} : { Host: location.host }),
  };
}

/** Lenient like the other extensions: a field of another shape is dropped, never fails the describe. */
export function locationFromWire(wire: unknown): InstanceLocation | undefined {
  if (typeof wire !== 'object' || wire === null) return undefined;
  const field = (name: string): unknown => (wire as Record<string, unknown>)[name];
  const text = (name: string): string | undefined => {
    const value = field(name);
    return typeof value === 'string' && value !== '' ? value.slice(0, 256) : undefined;
  };
  const location: InstanceLocation = {};
  const pid = field('PID');
  if (typeof pid === 'number' && Number.isInteger(pid) && pid > 0) location.pid = pid;
  const containerId = text('ContainerID');
  if (containerId !== undefined) location.containerId = containerId;
  const address = text('Address');
  if (address !== undefined) location.address = address;
  const host = text('Host');
  if (host !== undefined) location.host = host;
  return Object.keys(location).length === 0 ? undefined : location;
}

export function descriptionFromWire(wire: WireInstanceDescription): InstanceDescription {
  const description: InstanceDescription = { id: instanceId(wire.ID), tags: tagsFromWire(wire.Tags) };
  if (wire.LogicalID !== undefined && wire.LogicalID !== null && wire.LogicalID !== '') {
    description.logicalId = logicalId(wire.LogicalID);
  }
  if (wire.Properties !== undefined && wire.Properties !== null) description.properties = wire.Properties;
  if (typeof wire.CreatedAt === 'number' && Number.isFinite(wire.CreatedAt) && wire.CreatedAt > 0) {
    description.createdAt = wire.CreatedAt;
  }
  if (wire.PlatformHealth === 'healthy' || wire.PlatformHealth === 'unhealthy') {
    description.platformHealth = wire.PlatformHealth;
  }
  if (typeof wire.PlatformStatus === 'string' && wire.PlatformStatus !== '') {
    description.platformStatus = wire.PlatformStatus.slice(0, 500);
  }
  const location = locationFromWire(wire.Location);
  if (location !== undefined) description.location = location;
  return description;
}

const healthCodes: Readonly<Record<Health, 0 | 1 | 2>> = { unknown: 0, healthy: 1, unhealthy: 2 };
const healthNames: readonly Health[] = ['unknown', 'healthy', 'unhealthy'];

export function healthToWire(health: Health): 0 | 1 | 2 {
  return healthCodes[health];
}

export function healthFromWire(code: number | null | undefined): Health {
  return healthNames[code ?? 0] ?? 'unknown';
}

export function allocationToWire(allocation: Allocation): WireObject {
  return 'size' in allocation ? { Size: allocation.size } : { LogicalIDs: [...allocation.logicalIds] };
}

/** Go sends both keys, one of them empty: a non-empty `LogicalIDs` means pets, anything else cattle. */
export function allocationFromWire(wire: WireAllocation | null | undefined): Allocation {
  const ids = wire?.LogicalIDs;
  if (ids !== undefined && ids !== null && ids.length > 0) return { logicalIds: ids.map(logicalId) };
  return { size: wire?.Size ?? 0 };
}

export function indexToWire(index: FlavorIndex): WireObject {
  return { Group: index.group, Sequence: index.sequence };
}

export function indexFromWire(wire: z.infer<typeof wireIndex> | null | undefined): FlavorIndex {
  return { group: wire?.Group ?? '', sequence: wire?.Sequence ?? 0 };
}

export function instanceStatusToWire(status: InstanceStatus): WireObject {
  return {
    ID: status.id,
    ...(status.logicalId === undefined ? {} : { LogicalID: status.logicalId }),
    Tags: { ...status.tags },
    Health: healthToWire(status.health),
    Config: status.config,
    ...(status.createdAt === undefined ? {} : { CreatedAt: status.createdAt }),
    ...(status.location === undefined ? {} : { Location: locationToWire(status.location) }),
  };
}

/** A group's InfraKit `Description`, as `Group.DescribeGroup` answers it and metadata shows it. */
export function groupDescriptionToWire(description: {
  instances: readonly InstanceStatus[];
  converged: boolean;
}): WireObject {
  return { Instances: description.instances.map(instanceStatusToWire), Converged: description.converged };
}

export function instanceStatusFromWire(wire: z.infer<typeof wireGroupInstance>): InstanceStatus {
  const tags = tagsFromWire(wire.Tags);
  const status: InstanceStatus = {
    id: instanceId(wire.ID),
    tags,
    health: healthFromWire(wire.Health),
    config: wire.Config ?? tags[TAG_CONFIG] ?? tags[INFRAKIT_TAG_CONFIG] ?? '',
  };
  if (wire.LogicalID !== undefined && wire.LogicalID !== null && wire.LogicalID !== '') {
    status.logicalId = logicalId(wire.LogicalID);
  }
  if (typeof wire.CreatedAt === 'number') status.createdAt = wire.CreatedAt;
  const location = locationFromWire(wire.Location);
  if (location !== undefined) status.location = location;
  return status;
}
