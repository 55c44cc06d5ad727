import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  type EC2Client,
  type Filter,
  type Instance,
  type InstanceStatus,
} from '@aws-sdk/client-ec2';
import {
  type InstanceDescription,
  instanceId,
  type JsonObject,
  logicalId,
  TAG_LOGICAL,
  type Tags,
} from '../../../spi/index.js';
import { ec2Error } from './client.js';

/**
 * States of an instance that exists for Tend. `shutting-down` and `terminated` are on their way
 * out (EC2 lists terminated instances for about an hour): counting them would hide a missing one.
 */
export const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'] as const;

/** EC2's bounds for DescribeInstances' MaxResults. */
export const MIN_PAGE = 5;
export const MAX_PAGE = 1000;
/** DescribeInstanceStatus takes at most 100 instance IDs per call. */
const STATUS_BATCH = 100;

/** Calls `send` with the caller's signal, turning failures into TendErrors that name `what`. */
export async function ec2Call<T>(
  what: string,
  signal: AbortSignal | undefined,
  send: (options: { abortSignal?: AbortSignal }) => Promise<T>,
): Promise<T> {
  try {
    return await send(signal === undefined ? {} : { abortSignal: signal });
  } catch (error) {
    throw ec2Error(error, what, signal);
  }
}

export function tagFilters(tags: Tags): Filter[] {
  const filters: Filter[] = Object.entries(tags).map(([key, value]) => ({
    Name: `tag:${key}`,
    Values: [value],
  }));
  filters.push({ Name: 'instance-state-name', Values: [...LIVE_STATES] });
  return filters;
}

/**
 * Every live instance carrying all of `tags`, page by page. One failing page fails the whole
 * describe: a partial list would look like missing instances and make the controller create more.
 */
export async function listInstances(
  client: EC2Client,
  tags: Tags,
  options: { pageSize: number; signal?: AbortSignal | undefined; what?: string },
): Promise<Instance[]> {
  const filters = tagFilters(tags);
  const found: Instance[] = [];
  let nextToken: string | undefined;
  let page = 0;
  do {
    page++;
    const answer = await ec2Call(
      `${options.what ?? 'DescribeInstances'} (page ${page})`,
      options.signal,
      (o) =>
        client.send(
          new DescribeInstancesCommand({
            Filters: filters,
            MaxResults: options.pageSize,
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
          o,
        ),
    );
    for (const reservation of answer.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) {
        // The filter already says so; an endpoint that ignores it must not make us count corpses.
        if (isLive(instance) && hasTags(instance, tags)) found.push(instance);
      }
    }
    nextToken = answer.NextToken === '' ? undefined : answer.NextToken;
  } while (nextToken !== undefined);
  return found;
}

export function isLive(instance: Instance): boolean {
  const state = instance.State?.Name;
  return state !== undefined && (LIVE_STATES as readonly string[]).includes(state);
}

export function tagsOf(instance: Instance): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of instance.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  return tags;
}

function hasTags(instance: Instance, wanted: Tags): boolean {
  const tags = tagsOf(instance);
  return Object.entries(wanted).every(([key, value]) => tags[key] === value);
}

/** The platform's verdict on one instance: its state, then its status checks while running. */
export interface PlatformVerdict {
  health: 'healthy' | 'unhealthy';
  status: string;
}

export function verdictOf(
  instance: Instance,
  status: InstanceStatus | undefined,
): PlatformVerdict | undefined {
  const state = instance.State?.Name;
  if (state === 'stopped' || state === 'stopping') {
    const reason = instance.StateReason?.Message ?? instance.StateTransitionReason;
    return { health: 'unhealthy', status: reason ? `${state}: ${reason}` : state };
  }
  if (state !== 'running' || status === undefined) return undefined;
  const system = status.SystemStatus?.Status;
  const own = status.InstanceStatus?.Status;
  if (system === 'impaired') return { health: 'unhealthy', status: 'system status check failing' };
  if (own === 'impaired') return { health: 'unhealthy', status: 'instance status check failing' };
  if (system === 'ok' && own === 'ok') return { health: 'healthy', status: 'running, status checks ok' };
  // `initializing`, `insufficient-data`, `not-applicable`: EC2 has no verdict yet.
  return undefined;
}

/** Status checks of the running ones among `instances`, 100 IDs per call. */
export async function statusesOf(
  client: EC2Client,
  instances: readonly Instance[],
  signal: AbortSignal | undefined,
): Promise<Map<string, InstanceStatus>> {
  const ids = instances
    .filter((i) => i.State?.Name === 'running' && i.InstanceId !== undefined)
    .map((i) => i.InstanceId as string);
  const statuses = new Map<string, InstanceStatus>();
  for (let start = 0; start < ids.length; start += STATUS_BATCH) {
    const batch = ids.slice(start, start + STATUS_BATCH);
    let nextToken: string | undefined;
    do {
      const answer = await ec2Call('DescribeInstanceStatus', signal, (o) =>
        client.send(
          new DescribeInstanceStatusCommand({
            InstanceIds: batch,
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
          o,
        ),
      );
      for (const status of answer.InstanceStatuses ?? []) {
        if (status.InstanceId !== undefined) statuses.set(status.InstanceId, status);
      }
      nextToken = answer.NextToken === '' ? undefined : answer.NextToken;
    } while (nextToken !== undefined);
  }
  return statuses;
}

/** Where the instance lives and what it runs: plain JSON for `describe` with properties. */
export function propertiesOf(instance: Instance): JsonObject {
  const out: JsonObject = {};
  const put = (key: string, value: string | number | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  put('instanceId', instance.InstanceId);
  put('state', instance.State?.Name);
  put('instanceType', instance.InstanceType);
  put('imageId', instance.ImageId);
  put('privateIp', instance.PrivateIpAddress);
  put('publicIp', instance.PublicIpAddress);
  put('privateDnsName', instance.PrivateDnsName || undefined);
  put('subnetId', instance.SubnetId);
  put('vpcId', instance.VpcId);
  put('availabilityZone', instance.Placement?.AvailabilityZone);
  put('launchTime', instance.LaunchTime?.toISOString());
  const volumes = (instance.BlockDeviceMappings ?? [])
    .filter((m) => m.Ebs?.VolumeId !== undefined)
    .map((m): JsonObject => ({ device: m.DeviceName ?? '', volumeId: m.Ebs?.VolumeId ?? '' }));
  if (volumes.length > 0) out.volumes = volumes;
  return out;
}

export function describeInstance(
  instance: Instance,
  verdict: PlatformVerdict | undefined,
  withProperties: boolean,
): InstanceDescription {
  const tags = tagsOf(instance);
  const description: InstanceDescription = { id: instanceId(instance.InstanceId ?? ''), tags };
  const logical = tags[TAG_LOGICAL];
  if (logical !== undefined) description.logicalId = logicalId(logical);
  if (instance.LaunchTime !== undefined) description.createdAt = instance.LaunchTime.getTime();
  // The private address is the one a peer in the VPC uses; the public one when there is no private.
  const address = instance.PrivateIpAddress ?? instance.PublicIpAddress;
  const host = instance.PrivateDnsName;
  if (address !== undefined || (host !== undefined && host !== '')) {
    description.location = {
      ...(address === undefined ? {} : { address }),
      ...(host === undefined || host === '' ? {} : { host }),
    };
  }
  if (verdict !== undefined) {
    description.platformHealth = verdict.health;
    description.platformStatus = verdict.status;
  }
  if (withProperties) description.properties = propertiesOf(instance);
  return description;
}
