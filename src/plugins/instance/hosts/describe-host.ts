import {
  type InstanceDescription,
  instanceId,
  type JsonValue,
  logicalId,
  type Tags,
  type TendError,
} from '../../../spi/index.js';
import type { ClaimRecord, HostClient, HostRead } from './host-client.js';

/** One host as a describe saw it: read, or not answering (with the claim last seen there). */
export interface HostScan {
  client: HostClient;
  read?: HostRead;
  error?: TendError;
  /** For an unreachable host: the claim it carried when it last answered. */
  lastSeen?: ClaimRecord;
}

/** The claim a scan attributes to its host, if any. */
export function scannedRecord(scan: HostScan): ClaimRecord | undefined {
  if (scan.read?.state === 'claimed') return scan.read.record;
  return scan.error === undefined ? undefined : scan.lastSeen;
}

export function carriesTags(record: ClaimRecord, tags: Tags): boolean {
  return Object.entries(tags).every(([k, v]) => record.tags[k] === v);
}

/**
 * The instance a claimed host is. The platform's verdict: unreachable, a failed Init or a failed
 * health check is `unhealthy`; an Init still running is no verdict yet.
 */
export function describeScan(
  scan: HostScan,
  record: ClaimRecord,
  withProperties: boolean,
): InstanceDescription {
  const description: InstanceDescription = {
    id: instanceId(record.id),
    tags: { ...record.tags },
    createdAt: record.claimedAt,
    location: { host: scan.client.host.name, address: scan.client.host.address },
  };
  if (record.logicalId !== undefined) description.logicalId = logicalId(record.logicalId);
  const read = scan.read;
  let init = 'unknown';
  if (scan.error !== undefined) {
    description.platformHealth = 'unhealthy';
    description.platformStatus = `unreachable: ${scan.error.message}`.slice(0, 300);
  } else if (read?.state === 'claimed') {
    init = read.init === 'running' ? 'running' : `exited ${read.init}`;
    if (read.init === 'running') {
      description.platformStatus = 'init running';
    } else if (read.init !== 0) {
      description.platformHealth = 'unhealthy';
      description.platformStatus = `init exited ${read.init}`;
    } else if (read.health !== undefined && read.health !== 0) {
      description.platformHealth = 'unhealthy';
      description.platformStatus = `health check exited ${read.health}`;
    } else {
      description.platformHealth = 'healthy';
    }
  }
  if (withProperties) {
    const host = scan.client.host;
    const properties: Record<string, JsonValue> = {
      host: host.name,
      address: host.address,
      port: host.port,
      user: host.user,
      labels: { ...host.labels },
      claimDir: scan.client.claimDir,
      claimedAt: new Date(record.claimedAt).toISOString(),
      init,
      reachable: scan.error === undefined,
    };
    description.properties = properties;
  }
  return description;
}
