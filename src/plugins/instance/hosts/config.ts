import { z } from 'zod';
import { formatIssues, parsePluginProperties } from '../../../lib/index.js';
import { type JsonValue, TendError } from '../../../spi/index.js';

/** Host names become parts of instance IDs and of paths on the host: keep them plain. */
const hostName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._]{0,62}$/, 'expected a host name of letters, digits, . and _');
const labelKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/, 'expected a label name');
/** Only absolute, plain paths: the claim dir is passed to a shell on the host. */
const hostPath = z
  .string()
  .regex(/^\/[A-Za-z0-9._/~-]{0,255}$/, 'expected an absolute path of letters, digits and ._-/~');

const hostSchema = z.strictObject({
  name: hostName,
  address: z.string().min(1, 'expected an address or DNS name').max(255),
  port: z.number().int().min(1).max(65535).default(22),
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'expected a user name')
    .default('root'),
  /** Private key (OpenSSH or PEM, no passphrase) this host authorizes. */
  keyFile: z.string().min(1, 'expected a path'),
  labels: z.record(labelKey, z.string().max(255)).default({}),
  /** Overrides the pool's claim dir for this host. */
  claimDir: hostPath.optional(),
});

const ms = z.number().int().positive();

/** The plugin's own configuration (a `kind: hosts` section of the plugin config file). */
export const hostsConfigSchema = z.strictObject({
  pool: z
    .array(hostSchema)
    .min(1, 'expected at least one host')
    .max(1000, 'expected at most 1000 hosts')
    .superRefine((pool, ctx) => {
      const seen = new Set<string>();
      pool.forEach((host, index) => {
        if (seen.has(host.name)) {
          ctx.addIssue({
            code: 'custom',
            message: `host name ${host.name} used twice`,
            path: [index, 'name'],
          });
        }
        seen.add(host.name);
      });
    }),
  /** OpenSSH known_hosts listing every host's key; an unlisted key is refused. */
  knownHostsFile: z.string().min(1, 'expected a path'),
  /** Where the claim lives on each host. */
  claimDir: hostPath.default('/var/lib/tend'),
  /** Run on the host by destroy, before the claim is released; non-zero keeps the claim. */
  resetScript: z
    .string()
    .max(1 << 20)
    .default('true'),
  connectTimeoutMs: ms.default(3000),
  /** Per host, per describe: past it the host counts as unreachable. */
  describeTimeoutMs: ms.default(5000),
  initTimeoutMs: ms.default(600_000),
  resetTimeoutMs: ms.default(300_000),
  /** Hosts read at once by a describe. */
  describeConcurrency: z.number().int().min(1).max(256).default(16),
  /** A describe where more than this share of the pool does not answer fails as a whole. */
  maxUnreachableFraction: z.number().min(0).max(1).default(0.5),
});

export type HostsConfigInput = z.input<typeof hostsConfigSchema>;
export type HostsConfig = z.output<typeof hostsConfigSchema>;
export type PoolHost = HostsConfig['pool'][number];

/** Validates a `hosts` plugin configuration; errors name `where` and the field. */
export function parseHostsConfig(raw: unknown, where = 'hosts'): HostsConfig {
  const result = hostsConfigSchema.safeParse(raw);
  if (!result.success) throw new TendError('invalid_spec', formatIssues(result.error, where));
  return result.data;
}

const propertiesSchema = z.strictObject({
  /** Only hosts carrying every one of these labels (rack, zone…). */
  labels: z.record(labelKey, z.string()).optional(),
  /** Only these hosts of the pool. */
  hosts: z.array(hostName).min(1).optional(),
  /** Run on the host on every describe once the Init succeeded; non-zero reports it unhealthy. */
  healthCheck: z
    .string()
    .max(64 * 1024)
    .optional(),
});

export type HostsProperties = z.infer<typeof propertiesSchema>;

export function parseHostsProperties(properties: JsonValue | undefined): HostsProperties {
  return parsePluginProperties(propertiesSchema, properties, 'hosts plugin');
}

/** Whether `host` may serve a spec with these properties (logical IDs are checked apart). */
export function hostMatches(host: PoolHost, properties: HostsProperties): boolean {
  if (properties.hosts !== undefined && !properties.hosts.includes(host.name)) return false;
  return Object.entries(properties.labels ?? {}).every(([k, v]) => host.labels[k] === v);
}

/** `{rack=r1, zone=a}` or `any host` for the exhaustion message. */
export function describeSelector(properties: HostsProperties, logical?: string): string {
  const parts: string[] = [];
  if (logical !== undefined) parts.push(`host ${logical}`);
  if (properties.hosts !== undefined) parts.push(`hosts [${properties.hosts.join(', ')}]`);
  const labels = Object.entries(properties.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  if (labels.length > 0) parts.push(`labels {${labels.join(', ')}}`);
  return parts.length === 0 ? 'any host' : parts.join(' and ');
}
