import { createHash } from 'node:crypto';
import {
  type EC2Client,
  type Instance,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  type Tag,
} from '@aws-sdk/client-ec2';
import { type InstanceSpec, TAG_GROUP, TAG_LOGICAL, TAG_OP, TendError } from '../../../spi/index.js';
import { isAmbiguous } from './client.js';
import { ec2Call, listInstances } from './describe.js';
import {
  defaultDevice,
  EBS_ATTACHMENT_TYPE,
  type Ec2Properties,
  type VolumeAttachment,
} from './properties.js';

/** EC2 refuses user data over 16 KB (before base64). */
export const MAX_USER_DATA_BYTES = 16 * 1024;
/** EC2 allows 50 tags per resource. */
export const MAX_TAGS = 50;

/**
 * EC2's idempotency token for a Tend operation key: at most 64 ASCII characters, so a hash
 * (sha256 in hex is exactly 64). The same key always gives the same token.
 */
export function clientToken(op: string): string {
  return createHash('sha256').update(op).digest('hex');
}

/** The tags of the instance: the properties' extra tags, then Tend's (which win), then the logical ID. */
export function instanceTags(spec: InstanceSpec, properties: Ec2Properties): Record<string, string> {
  const tags: Record<string, string> = { ...properties.tags, ...spec.tags };
  if (spec.logicalId !== undefined) tags[TAG_LOGICAL] = spec.logicalId;
  const count = Object.keys(tags).length;
  if (count > MAX_TAGS) {
    throw new TendError(
      'invalid_spec',
      `ec2: an instance may carry at most ${MAX_TAGS} tags; this one would have ${count}`,
    );
  }
  for (const [key, value] of Object.entries(tags)) {
    if (key.length > 128)
      throw new TendError(
        'invalid_spec',
        `ec2: tag key ${JSON.stringify(key.slice(0, 40))}… is over 128 characters`,
      );
    if (value.length > 256)
      throw new TendError('invalid_spec', `ec2: tag ${key}: value is over 256 characters`);
    if (key.toLowerCase().startsWith('aws:'))
      throw new TendError('invalid_spec', `ec2: tag ${key}: the "aws:" prefix is reserved`);
  }
  return tags;
}

/** The volumes this instance must hold: its logical ID's, then `ebs` attachments from the spec. */
export function volumesFor(spec: InstanceSpec, properties: Ec2Properties): VolumeAttachment[] {
  const volumes: VolumeAttachment[] = [];
  if (spec.logicalId !== undefined) volumes.push(...(properties.logicalIds?.[spec.logicalId]?.volumes ?? []));
  for (const attachment of spec.attachments) {
    if (attachment.type !== EBS_ATTACHMENT_TYPE || volumes.some((v) => v.id === attachment.id)) continue;
    volumes.push({ id: attachment.id, device: defaultDevice(volumes.length) });
  }
  return volumes;
}

/**
 * RunInstances' input. With `networkInterfaceId` (a logical ID's fixed address) the instance
 * launches on that interface, which already has its subnet and security groups.
 */
export function runInstancesInput(
  spec: InstanceSpec,
  properties: Ec2Properties,
  networkInterfaceId?: string,
): RunInstancesCommandInput {
  const userData = Buffer.from(spec.init, 'utf8');
  if (userData.length > MAX_USER_DATA_BYTES) {
    throw new TendError(
      'invalid_spec',
      `ec2: the init script is ${userData.length} bytes; EC2 user data is at most ${MAX_USER_DATA_BYTES}`,
    );
  }
  const tags: Tag[] = Object.entries(instanceTags(spec, properties)).map(([Key, Value]) => ({ Key, Value }));
  const input: RunInstancesCommandInput = {
    ImageId: properties.imageId,
    InstanceType: properties.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  };
  if (userData.length > 0) input.UserData = userData.toString('base64');
  const op = spec.tags[TAG_OP];
  if (op !== undefined && op !== '') input.ClientToken = clientToken(op);
  if (networkInterfaceId !== undefined) {
    input.NetworkInterfaces = [
      { DeviceIndex: 0, NetworkInterfaceId: networkInterfaceId, DeleteOnTermination: false },
    ];
  } else {
    if (properties.subnetId !== undefined) input.SubnetId = properties.subnetId;
    if (properties.securityGroupIds !== undefined) input.SecurityGroupIds = properties.securityGroupIds;
  }
  if (properties.keyName !== undefined) input.KeyName = properties.keyName;
  if (properties.iamInstanceProfile !== undefined) {
    input.IamInstanceProfile = properties.iamInstanceProfile.startsWith('arn:')
      ? { Arn: properties.iamInstanceProfile }
      : { Name: properties.iamInstanceProfile };
  }
  if (properties.blockDevices !== undefined) {
    input.BlockDeviceMappings = properties.blockDevices.map((b) => ({
      DeviceName: b.deviceName,
      Ebs: {
        VolumeSize: b.sizeGiB,
        DeleteOnTermination: b.deleteOnTermination ?? true,
        ...(b.volumeType === undefined ? {} : { VolumeType: b.volumeType }),
        ...(b.iops === undefined ? {} : { Iops: b.iops }),
        ...(b.encrypted === undefined ? {} : { Encrypted: b.encrypted }),
      },
    }));
  }
  return input;
}

export interface ProvisionContext {
  client: EC2Client;
  pageSize: number;
  signal?: AbortSignal | undefined;
}

/**
 * The live instance an earlier provision of `op` made, if any. Several (a duplicate made before
 * this plugin's time): the oldest, so every retry hands back the same one.
 */
export async function findByOp(ctx: ProvisionContext, op: string): Promise<Instance | undefined> {
  const found = await listInstances(
    ctx.client,
    { [TAG_OP]: op },
    {
      pageSize: ctx.pageSize,
      signal: ctx.signal,
      what: `DescribeInstances for operation ${op}`,
    },
  );
  found.sort(
    (a, b) =>
      (a.LaunchTime?.getTime() ?? 0) - (b.LaunchTime?.getTime() ?? 0) ||
      String(a.InstanceId).localeCompare(String(b.InstanceId)),
  );
  return found[0];
}

/**
 * Creates the instance once per `tend.op`, even where EC2's `ClientToken` is not honoured:
 * look by tag first; create with the token; after an answer that may have been lost, look again
 * before failing, so the controller's retry finds the instance instead of making a second one.
 */
export async function runOnce(
  ctx: ProvisionContext,
  spec: InstanceSpec,
  prepare: () => Promise<RunInstancesCommandInput>,
): Promise<Instance> {
  const op = spec.tags[TAG_OP];
  const keyed = op !== undefined && op !== '';
  if (keyed) {
    const existing = await findByOp(ctx, op);
    if (existing !== undefined) return existing;
  }
  // Only now: preparing claims a pet's address, which an instance found above already holds.
  const input = await prepare();
  const what = `RunInstances for group ${spec.tags[TAG_GROUP] ?? '(none)'}`;
  try {
    const answer = await ec2Call(what, ctx.signal, (o) => ctx.client.send(new RunInstancesCommand(input), o));
    const created = answer.Instances?.[0];
    if (created?.InstanceId === undefined) {
      throw new TendError('internal', `ec2 ${what}: the answer named no instance`);
    }
    return created;
  } catch (error) {
    if (!(error instanceof TendError) || !keyed || !isAmbiguous(error) || ctx.signal?.aborted === true)
      throw error;
    // The create may have happened. EC2's describe can lag a create by seconds, which is why the
    // token is sent too; an endpoint that honours neither is caught by the next provision's look.
    const existing = await findByOp(ctx, op).catch(() => undefined);
    if (existing !== undefined) return existing;
    throw error;
  }
}
