import { type InstanceId, type InstanceSpec, instanceId, TendError } from '../../../spi/index.js';
import { describeSelector, type HostsProperties, hostMatches } from './config.js';
import type { HostScan } from './describe-host.js';
import type { ClaimRecord, HostClient } from './host-client.js';

export interface ProvisionInput {
  spec: InstanceSpec;
  op: string | undefined;
  properties: HostsProperties;
  /** A fresh read of every host. */
  scans: readonly HostScan[];
  pool: readonly HostClient[];
  releasing: (host: string) => string | undefined;
  resetScript: string;
  newRecord: (client: HostClient) => ClaimRecord;
  init: (record: ClaimRecord) => string;
  /** Sort key of a host for this provision: concurrent provisions try hosts in different orders. */
  order: (host: string) => string;
  remember: (client: HostClient, record: ClaimRecord) => Promise<void>;
  signal?: AbortSignal;
}

/**
 * Finds the host this provision's `tend.op` already holds, or claims a free matching one, then
 * runs (or waits for) its Init. A spec with a logical ID wants the host of that name and no other.
 */
export async function provisionOn(input: ProvisionInput): Promise<InstanceId> {
  const { spec, op, properties, scans, signal } = input;
  if (op !== undefined) {
    for (const scan of scans) {
      if (scan.read?.state === 'claimed' && scan.read.record.op === op) {
        return finishInit(input, scan.client, scan.read.record);
      }
      if (scan.error !== undefined && scan.lastSeen?.op === op) {
        throw new TendError(
          'unavailable',
          `hosts plugin: host ${scan.client.host.name}, which holds ${op}, does not answer: ${scan.error.message}`,
        );
      }
    }
  }
  // A logical ID that names a pool host pins the instance there (a pet is a named machine); any
  // other logical ID (an ensemble member's name) is kept on whichever matching host is free.
  const pinned = input.pool.find((c) => c.host.name === spec.logicalId);
  const wanted = pinned?.host.name;
  if (pinned !== undefined && !hostMatches(pinned.host, properties)) {
    throw new TendError(
      'invalid_spec',
      `hosts plugin: host ${pinned.host.name} does not match ${describeSelector(properties)}`,
    );
  }
  const counts = { claimed: 0, away: 0, other: 0 };
  const free: HostScan[] = [];
  for (const scan of scans) {
    const name = scan.client.host.name;
    if (wanted !== undefined ? name !== wanted : !hostMatches(scan.client.host, properties))
      counts.other += 1;
    else if (scan.error !== undefined) counts.away += 1;
    else if (scan.read?.state !== 'free' || input.releasing(name) !== undefined) counts.claimed += 1;
    else free.push(scan);
  }
  free.sort((a, b) => input.order(a.client.host.name).localeCompare(input.order(b.client.host.name)));
  for (const scan of free) {
    const record = input.newRecord(scan.client);
    const outcome = await scan.client.claim(record, input.init(record), properties.healthCheck, signal);
    if (outcome.claimed) {
      await input.remember(scan.client, record);
      return finishInit(input, scan.client, record);
    }
    // Taken since the scan: by a retry of this very provision (another manager), or by anyone else.
    if (op !== undefined && outcome.holder?.op === op) return finishInit(input, scan.client, outcome.holder);
    counts.claimed += 1;
  }
  const pool = `pool of ${scans.length}: ${counts.claimed} claimed, ${counts.away} not answering, ${counts.other} not matching`;
  throw new TendError(
    'exhausted',
    `hosts plugin: no free host matches ${describeSelector(properties, wanted)} (${pool})`,
    {
      details: { ...counts, pool: scans.length },
    },
  );
}

/**
 * Waits for the claim's Init. A failed Init resets and releases the host (its log is kept there)
 * and fails the provision: the host is not left claimed by an instance that never started.
 */
async function finishInit(
  input: ProvisionInput,
  client: HostClient,
  record: ClaimRecord,
): Promise<InstanceId> {
  const name = client.host.name;
  const code = await client.init(record.id, true, input.signal);
  if (code === 0) return instanceId(record.id);
  if (code === 'lost' || code === 'started') {
    throw new TendError(
      'unavailable',
      `hosts plugin: the claim of ${record.id} on host ${name} vanished during its Init`,
    );
  }
  const reset = await client
    .release(record.id, input.resetScript, input.signal)
    .catch((e: unknown) => String(e));
  throw new TendError(
    'internal',
    `hosts plugin: Init of ${record.id} exited ${code} on host ${name}; reset: ${typeof reset === 'number' ? `exited ${reset}, claim kept` : reset} (see its log)`,
  );
}
