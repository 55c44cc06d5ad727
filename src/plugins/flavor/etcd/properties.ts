import { z } from 'zod';
import { parsePluginProperties } from '../../../lib/index.js';
import type { JsonValue } from '../../../spi/index.js';
import { declaredMember, memberName, memberPort as port } from '../ensemble/index.js';

/** Flags the flavor sets itself; letting `extraFlags` repeat them would split the truth in two. */
const ownedFlags = [
  '--name',
  '--data-dir',
  '--listen-peer-urls',
  '--initial-advertise-peer-urls',
  '--listen-client-urls',
  '--advertise-client-urls',
  '--initial-cluster',
  '--initial-cluster-state',
  '--initial-cluster-token',
];

const memberSchema = z.strictObject({
  /** Address the member listens on and advertises; loopback by default. */
  host: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/, 'expected a host name or IPv4 address')
    .default('127.0.0.1'),
  peerPort: port,
  clientPort: port,
});

const propertiesSchema = z
  .strictObject({
    /** Every logical ID the group may use, with its addresses. */
    members: z
      .record(memberName, memberSchema)
      .refine((m) => Object.keys(m).length > 0, 'expected at least one member'),
    /** Each member keeps its data in `<dataDir>/<logical ID>`. */
    dataDir: z.string().startsWith('/', 'expected an absolute path'),
    binary: z.string().startsWith('/', 'expected an absolute path').default('/usr/bin/etcd'),
    clusterToken: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1-64 letters, digits, . _ -'),
    extraFlags: z
      .array(
        z
          .string()
          .regex(/^--[a-z0-9-]+(=.*)?$/, 'expected a flag like --heartbeat-interval=100')
          .refine(
            (flag) => !ownedFlags.includes(flag.split('=')[0] ?? ''),
            'is set by the etcd flavor itself',
          ),
      )
      .default([]),
  })
  .superRefine((value, ctx) => {
    const seen = new Map<string, string>();
    for (const [name, member] of Object.entries(value.members)) {
      for (const key of ['peerPort', 'clientPort'] as const) {
        const address = `${member.host}:${member[key]}`;
        const owner = seen.get(address);
        if (owner !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['members', name, key],
            message: `${address} is also used by ${owner}`,
          });
        }
        seen.set(address, `members.${name}.${key}`);
      }
    }
  });

export type EtcdProperties = z.infer<typeof propertiesSchema>;

/** Where one member lives, derived from the properties. */
export interface EtcdMemberAddress {
  name: string;
  peerUrl: string;
  clientUrl: string;
  dataDir: string;
}

export function parseEtcdProperties(properties: JsonValue | undefined): EtcdProperties {
  return parsePluginProperties(propertiesSchema, properties, 'etcd flavor');
}

export function memberAddress(properties: EtcdProperties, name: string): EtcdMemberAddress {
  const member = declaredMember(properties.members, name, 'etcd flavor');
  return {
    name,
    peerUrl: `http://${member.host}:${member.peerPort}`,
    clientUrl: `http://${member.host}:${member.clientPort}`,
    dataDir: `${properties.dataDir.replace(/\/+$/, '')}/${name}`,
  };
}
