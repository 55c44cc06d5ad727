import { z } from 'zod';
import { type JsonValue, TendError } from '../../../spi/index.js';

/**
 * The `instance.properties` a docker group spec carries. They cross a trust boundary (a user's
 * file, or an RPC call), so they are parsed strictly: an unknown property is an error, not a
 * silently ignored typo.
 */
export interface DockerProperties {
  image: string;
  /** Command for the image's entrypoint; used only when the flavor's init script is empty. */
  command?: string[];
  env?: Record<string, string>;
  mounts?: DockerMount[];
  /** `none`, `host`, or the name of a network that exists on the engine. */
  networkMode?: string;
  resources?: { memory?: string; cpus?: number };
  restartPolicy?: RestartPolicy;
}

export interface DockerMount {
  source: string;
  target: string;
  readOnly?: boolean;
}

export type RestartPolicy = 'no' | 'on-failure' | 'always' | 'unless-stopped';

const absolutePath = (what: string) =>
  z.string({ error: `expected an absolute ${what} path` }).refine((value) => value.startsWith('/'), {
    error: (issue) => `expected an absolute ${what} path, got ${JSON.stringify(issue.input)}`,
  });

const memoryPattern = /^([1-9][0-9]*)([bkmg]?)$/i;

const schema = z.strictObject({
  image: z.string({ error: 'required: the image to run (a local tag or ID)' }).min(1, 'must not be empty'),
  command: z.array(z.string({ error: 'expected a string' })).optional(),
  env: z
    .record(
      z.string().regex(/^[^=\0]+$/, 'environment variable names must be non-empty and contain no "="'),
      z.string({ error: 'expected a string value' }),
    )
    .optional(),
  mounts: z
    .array(
      z.strictObject({
        source: absolutePath('host'),
        target: absolutePath('container'),
        readOnly: z.boolean().optional(),
      }),
    )
    .optional(),
  networkMode: z.string().min(1, 'must not be empty (use "none", "host" or a network name)').optional(),
  resources: z
    .strictObject({
      memory: z.string().regex(memoryPattern, 'expected a size such as "64m", "512k" or "1g"').optional(),
      cpus: z.number().positive('expected a number of CPUs > 0').max(1024).optional(),
    })
    .optional(),
  restartPolicy: z.enum(['no', 'on-failure', 'always', 'unless-stopped']).optional(),
});

/**
 * Parses docker instance properties, with `defaults` filling properties the spec leaves out
 * (a shallow merge: a spec's `env` replaces the default `env` as a whole).
 * Rejects with kind `invalid_spec` and a message naming the exact path, e.g.
 * `properties.mounts[1].source: expected an absolute host path, got "data"`.
 */
export function parseDockerProperties(
  properties: JsonValue | undefined,
  defaults: Partial<DockerProperties> = {},
): DockerProperties {
  if (
    properties !== undefined &&
    (properties === null || typeof properties !== 'object' || Array.isArray(properties))
  ) {
    throw new TendError('invalid_spec', `properties: expected an object, got ${describeJson(properties)}`);
  }
  const merged = { ...defaults, ...(properties ?? {}) };
  const result = schema.safeParse(merged);
  if (result.success) return stripUndefined(result.data);
  const problems = result.error.issues.map(formatIssue);
  throw new TendError('invalid_spec', `docker instance properties are invalid: ${problems.join('; ')}`, {
    details: { problems },
  });
}

/** "64m" → 67108864. The schema has already checked the shape. */
export function memoryBytes(size: string): number {
  const match = memoryPattern.exec(size);
  if (match === null) throw new TendError('invalid_spec', `properties.resources.memory: bad size "${size}"`);
  const units: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
  return Number(match[1]) * (units[(match[2] ?? '').toLowerCase()] ?? 1);
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((key) => JSON.stringify(key)).join(', ');
    return `${path}: unknown ${issue.keys.length === 1 ? 'property' : 'properties'} ${names}`;
  }
  return `${path}: ${issue.message}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = 'properties';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
  }
  return out;
}

function describeJson(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

// exactOptionalPropertyTypes: zod output carries `key: undefined` for absent optionals.
function stripUndefined(data: z.output<typeof schema>): DockerProperties {
  const out: DockerProperties = { image: data.image };
  if (data.command !== undefined) out.command = data.command;
  if (data.env !== undefined) out.env = data.env;
  if (data.mounts !== undefined) {
    out.mounts = data.mounts.map((m) =>
      m.readOnly === undefined
        ? { source: m.source, target: m.target }
        : { source: m.source, target: m.target, readOnly: m.readOnly },
    );
  }
  if (data.networkMode !== undefined) out.networkMode = data.networkMode;
  if (data.resources !== undefined) {
    const resources: NonNullable<DockerProperties['resources']> = {};
    if (data.resources.memory !== undefined) resources.memory = data.resources.memory;
    if (data.resources.cpus !== undefined) resources.cpus = data.resources.cpus;
    out.resources = resources;
  }
  if (data.restartPolicy !== undefined) out.restartPolicy = data.restartPolicy;
  return out;
}
