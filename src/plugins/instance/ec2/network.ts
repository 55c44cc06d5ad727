import {
  CreateNetworkInterfaceCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  type EC2Client,
  type Tag,
} from '@aws-sdk/client-ec2';
import { TendError } from '../../../spi/index.js';
import { ec2Call, isLive } from './describe.js';

export interface NetworkContext {
  client: EC2Client;
  signal?: AbortSignal | undefined;
}

/**
 * The network interface that carries a logical ID's fixed private IP, made once and reused by
 * every instance that holds the ID (launched with it as device 0, not deleted on termination).
 * An interface keeps its address while its instance is replaced, where a bare `PrivateIpAddress`
 * is free again only once the old instance is fully gone (and on moto, never).
 * Refuses (`conflict`) while the interface serves a live instance: one address, one member.
 */
export async function networkInterfaceFor(
  ctx: NetworkContext,
  placement: { subnetId: string; privateIp: string; securityGroupIds?: string[] | undefined; tags: Tag[] },
): Promise<string> {
  const found = await ec2Call(`DescribeNetworkInterfaces ${placement.privateIp}`, ctx.signal, (o) =>
    ctx.client.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [
          { Name: 'subnet-id', Values: [placement.subnetId] },
          { Name: 'addresses.private-ip-address', Values: [placement.privateIp] },
        ],
      }),
      o,
    ),
  );
  const existing = found.NetworkInterfaces?.[0];
  if (existing?.NetworkInterfaceId !== undefined) {
    const holder = existing.Attachment?.InstanceId;
    if (holder !== undefined && existing.Status !== 'available')
      await refuseLiveHolder(ctx, holder, placement.privateIp);
    return existing.NetworkInterfaceId;
  }
  const created = await ec2Call(`CreateNetworkInterface ${placement.privateIp}`, ctx.signal, (o) =>
    ctx.client.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: placement.subnetId,
        PrivateIpAddress: placement.privateIp,
        Description: 'Tend: fixed address of a logical ID',
        ...(placement.securityGroupIds === undefined ? {} : { Groups: placement.securityGroupIds }),
        TagSpecifications: [{ ResourceType: 'network-interface', Tags: placement.tags }],
      }),
      o,
    ),
  );
  const id = created.NetworkInterface?.NetworkInterfaceId;
  if (id === undefined)
    throw new TendError('internal', 'ec2 CreateNetworkInterface: the answer named no interface');
  return id;
}

async function refuseLiveHolder(ctx: NetworkContext, holder: string, ip: string): Promise<void> {
  const answer = await ec2Call(`DescribeInstances ${holder}`, ctx.signal, (o) =>
    ctx.client.send(new DescribeInstancesCommand({ InstanceIds: [holder] }), o),
  ).catch((error: unknown) => {
    if (TendError.is(error, 'not_found')) return undefined;
    throw error;
  });
  const instance = answer?.Reservations?.flatMap((r) => r.Instances ?? []).find(
    (i) => i.InstanceId === holder,
  );
  if (instance !== undefined && isLive(instance)) {
    throw new TendError(
      'conflict',
      `ec2: ${ip} belongs to instance ${holder}, which is ${instance.State?.Name}; a logical ID's address moves only from a terminated instance (replace pets in place: maxSurge 0)`,
      { details: { holder, ip } },
    );
  }
}
