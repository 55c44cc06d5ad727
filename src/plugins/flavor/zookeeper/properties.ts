import { z } from 'zod';
import { parsePluginProperties } from '../../../lib/index.js';
import type { JsonValue } from '../../../spi/index.js';
import { declaredMember, memberName, memberPort as port } from '../ensemble/index.js';

const memberSchema = z.strictObject({
  host: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/, 'expected a host name or IPv4 address')
    .default('127.0.0.1'),
  clientPort: port,
  /** Followers connect to the leader here (the first port of `server.N=host:peer:election`). */
  peerPort: port,
  electionPort: port,
  /** The member's `myid` (1–255). Default: its position among the sorted member names, from 1. */
  serverId: z.number().int().min(1).max(255).optional(),
});

const propertiesSchema = z
  .strictObject({
    /** Every logical ID the group may use, with its addresses. */
    members: z
      .record(memberName, memberSchema)
      .refine((m) => Object.keys(m).length > 0, 'expected at least one member'),
    /** Each member keeps its config and data in `<dataDir>/<logical ID>`. */
    dataDir: z.string().startsWith('/', 'expected an absolute path'),
    java: z.string().startsWith('/', 'expected an absolute path').default('/usr/bin/java'),
    /** Debian's zookeeper.jar names its dependencies in its manifest; slf4j-simple logs to stderr. */
    classpath: z.string().min(1).default('/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar'),
    heap: z
      .string()
      .regex(/^[0-9]+[mg]$/, 'expected a JVM size like 128m')
      .default('128m'),
    tickTime: z.number().int().min(50).max(60_000).default(2000),
    initLimit: z.number().int().min(1).max(1000).default(10),
    syncLimit: z.number().int().min(1).max(1000).default(5),
  })
  .superRefine((value, ctx) => {
    const ports = new Map<string, string>();
    const ids = new Map<number, string>();
    for (const [name, member] of Object.entries(value.members)) {
      for (const key of ['clientPort', 'peerPort', 'electionPort'] as const) {
        const address = `${member.host}:${member[key]}`;
        const owner = ports.get(address);
        if (owner !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['members', name, key],
            message: `${address} is also used by ${owner}`,
          });
        }
        ports.set(address, `members.${name}.${key}`);
      }
      if (member.serverId !== undefined) {
        const owner = ids.get(member.serverId);
        if (owner !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['members', name, 'serverId'],
            message: `is also the id of ${owner}`,
          });
        }
        ids.set(member.serverId, name);
      }
    }
  });

export type ZookeeperProperties = z.infer<typeof propertiesSchema>;

export interface ZookeeperMember {
  name: string;
  serverId: number;
  host: string;
  clientPort: number;
  peerPort: number;
  electionPort: number;
  /** Holds zoo.cfg; `data/` below it holds myid and the snapshots. */
  dir: string;
}

export function parseZookeeperProperties(properties: JsonValue | undefined): ZookeeperProperties {
  return parsePluginProperties(propertiesSchema, properties, 'zookeeper flavor');
}

/** The member for logical ID `name`; its server id stays the same across replacements. */
export function zookeeperMember(properties: ZookeeperProperties, name: string): ZookeeperMember {
  const member = declaredMember(properties.members, name, 'zookeeper flavor');
  const position = Object.keys(properties.members).sort().indexOf(name) + 1;
  return {
    name,
    serverId: member.serverId ?? position,
    host: member.host,
    clientPort: member.clientPort,
    peerPort: member.peerPort,
    electionPort: member.electionPort,
    dir: `${properties.dataDir.replace(/\/+$/, '')}/${name}`,
  };
}
