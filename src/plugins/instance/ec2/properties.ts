import { z } from 'zod';
import { parsePluginProperties } from '../../../lib/index.js';
import type { JsonValue } from '../../../spi/index.js';

/**
 * The `instance.properties` of an ec2 group. Strict (an unknown key is a typo, not an extension)
 * and parsed at the trust boundary, so provision never sends EC2 a shape it would refuse later.
 */
export interface Ec2Properties {
  imageId: string;
  instanceType: string;
  subnetId?: string;
  securityGroupIds?: string[];
  keyName?: string;
  /** An instance profile's name, or its ARN (`arn:aws:iam::…:instance-profile/…`). */
  iamInstanceProfile?: string;
  blockDevices?: BlockDevice[];
  /** Extra tags on the instance and the volumes it launches with (Tend's own tags win). */
  tags?: Record<string, string>;
  /** Pets: what a logical ID keeps across replacements (its address and its data volumes). */
  logicalIds?: Record<string, LogicalIdPlacement>;
}

export interface BlockDevice {
  deviceName: string;
  sizeGiB: number;
  volumeType?: 'gp2' | 'gp3' | 'io1' | 'io2' | 'st1' | 'sc1' | 'standard';
  iops?: number;
  encrypted?: boolean;
  deleteOnTermination?: boolean;
}

export interface LogicalIdPlacement {
  /** A fixed private IPv4 address inside `subnetId`. */
  privateIp?: string;
  /** EBS volumes that move to whichever instance holds this logical ID. */
  volumes?: VolumeAttachment[];
}

export interface VolumeAttachment {
  id: string;
  /** Device name on the instance; default `/dev/sdf`, `/dev/sdg`… in list order. */
  device: string;
}

/** Attachments of this type (from a flavor or the spec) are EBS volume IDs. */
export const EBS_ATTACHMENT_TYPE = 'ebs';

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const volumeId = z
  .string()
  .regex(/^vol-[0-9a-f]{8,17}$/, 'expected an EBS volume ID such as "vol-0123456789abcdef0"');
const device = z.string().regex(/^\/dev\/(sd[f-p]|xvd[f-p])$/, 'expected a device name /dev/sdf … /dev/sdp');
const tagKey = z
  .string()
  .min(1)
  .max(128, 'EC2 tag keys are at most 128 characters')
  .refine((key) => !key.toLowerCase().startsWith('aws:'), 'the "aws:" prefix is reserved by AWS');

const schema = z
  .strictObject({
    imageId: z
      .string({ error: 'required: the AMI to launch, e.g. "ami-0123456789abcdef0"' })
      .regex(
        /^(ami-[0-9a-f]{8,17}|resolve:ssm:\S+)$/,
        'expected an AMI ID ("ami-…") or "resolve:ssm:<parameter>"',
      ),
    instanceType: z
      .string({ error: 'required: the instance type, e.g. "t3.micro"' })
      .regex(/^[a-z0-9-]+\.[a-z0-9]+$/, 'expected an instance type such as "t3.micro"'),
    subnetId: z
      .string()
      .regex(/^subnet-[0-9a-f]{8,17}$/, 'expected a subnet ID "subnet-…"')
      .optional(),
    securityGroupIds: z
      .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'expected a security group ID "sg-…"'))
      .max(5, 'EC2 allows at most 5 security groups per interface')
      .optional(),
    keyName: z.string().min(1).max(255).optional(),
    iamInstanceProfile: z.string().min(1).max(2048).optional(),
    blockDevices: z
      .array(
        z.strictObject({
          deviceName: z.string().regex(/^\/dev\/[a-z0-9]+$/, 'expected a device name such as "/dev/xvda"'),
          sizeGiB: z.number().int().min(1).max(65_536),
          volumeType: z.enum(['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard']).optional(),
          iops: z.number().int().positive().optional(),
          encrypted: z.boolean().optional(),
          deleteOnTermination: z.boolean().optional(),
        }),
      )
      .max(20)
      .optional(),
    tags: z.record(tagKey, z.string().max(256, 'EC2 tag values are at most 256 characters')).optional(),
    logicalIds: z
      .record(
        z.string().min(1),
        z.strictObject({
          privateIp: z.string().regex(ipv4, 'expected an IPv4 address such as "10.0.1.10"').optional(),
          volumes: z
            .array(z.union([volumeId, z.strictObject({ id: volumeId, device: device.optional() })]))
            .max(10)
            .optional(),
        }),
      )
      .optional(),
  })
  .superRefine((value, context) => {
    const ips = new Map<string, string>();
    const volumes = new Map<string, string>();
    for (const [id, placement] of Object.entries(value.logicalIds ?? {})) {
      if (placement.privateIp !== undefined) {
        if (value.subnetId === undefined) {
          context.addIssue({
            code: 'custom',
            path: ['logicalIds', id, 'privateIp'],
            message: 'a fixed private IP needs properties.subnetId (the subnet it belongs to)',
          });
        }
        const other = ips.get(placement.privateIp);
        if (other !== undefined) {
          context.addIssue({
            code: 'custom',
            path: ['logicalIds', id, 'privateIp'],
            message: `${placement.privateIp} is already the address of logical ID ${other}`,
          });
        }
        ips.set(placement.privateIp, id);
      }
      for (const [index, volume] of (placement.volumes ?? []).entries()) {
        const vol = typeof volume === 'string' ? volume : volume.id;
        const other = volumes.get(vol);
        if (other !== undefined) {
          context.addIssue({
            code: 'custom',
            path: ['logicalIds', id, 'volumes', index],
            message: `${vol} already belongs to logical ID ${other}`,
          });
        }
        volumes.set(vol, id);
      }
    }
  });

/** Parses ec2 properties or throws `invalid_spec` naming each problem's path. */
export function parseEc2Properties(properties: JsonValue | undefined): Ec2Properties {
  const data = parsePluginProperties(schema, properties, 'ec2 instance plugin');
  const out: Ec2Properties = { imageId: data.imageId, instanceType: data.instanceType };
  if (data.subnetId !== undefined) out.subnetId = data.subnetId;
  if (data.securityGroupIds !== undefined) out.securityGroupIds = data.securityGroupIds;
  if (data.keyName !== undefined) out.keyName = data.keyName;
  if (data.iamInstanceProfile !== undefined) out.iamInstanceProfile = data.iamInstanceProfile;
  if (data.blockDevices !== undefined) {
    out.blockDevices = data.blockDevices.map((b) => {
      const block: BlockDevice = { deviceName: b.deviceName, sizeGiB: b.sizeGiB };
      if (b.volumeType !== undefined) block.volumeType = b.volumeType;
      if (b.iops !== undefined) block.iops = b.iops;
      if (b.encrypted !== undefined) block.encrypted = b.encrypted;
      if (b.deleteOnTermination !== undefined) block.deleteOnTermination = b.deleteOnTermination;
      return block;
    });
  }
  if (data.tags !== undefined) out.tags = data.tags;
  if (data.logicalIds !== undefined) {
    const placements: Record<string, LogicalIdPlacement> = {};
    for (const [id, placement] of Object.entries(data.logicalIds)) {
      const p: LogicalIdPlacement = {};
      if (placement.privateIp !== undefined) p.privateIp = placement.privateIp;
      if (placement.volumes !== undefined) {
        p.volumes = placement.volumes.map((v, index) =>
          typeof v === 'string'
            ? { id: v, device: defaultDevice(index) }
            : { id: v.id, device: v.device ?? defaultDevice(index) },
        );
      }
      placements[id] = p;
    }
    out.logicalIds = placements;
  }
  return out;
}

/** `/dev/sdf`, `/dev/sdg`, …: the names AWS recommends for attached EBS data volumes. */
export function defaultDevice(index: number): string {
  return `/dev/sd${String.fromCharCode('f'.charCodeAt(0) + Math.min(index, 10))}`;
}
