import { z } from 'zod';
import { parsePluginProperties } from '../../../lib/index.js';
import type { Attachment, FlavorPlugin, Health, InstanceSpec, JsonValue } from '../../../spi/index.js';

/** Tend's and InfraKit's own tags: a flavor setting them could move an instance out of its group. */
const reservedTagPrefixes = ['tend.', 'infrakit.'];

const propertiesSchema = z.strictObject({
  /** Lines appended to the instance's boot script. */
  init: z.array(z.string()).optional(),
  tags: z
    .record(
      z.string().refine((key) => !reservedTagPrefixes.some((p) => key.startsWith(p)), {
        message: `tag names starting with ${reservedTagPrefixes.join(' or ')} are reserved`,
      }),
      z.string(),
    )
    .optional(),
  attachments: z.array(z.strictObject({ id: z.string().min(1), type: z.string().min(1) })).optional(),
});

export type VanillaProperties = z.infer<typeof propertiesSchema>;

export function parseVanillaProperties(properties: JsonValue | undefined): VanillaProperties {
  return parsePluginProperties(propertiesSchema, properties, 'vanilla flavor');
}

/**
 * Init lines and tags, nothing else. Like InfraKit's vanilla, an instance that exists is healthy:
 * vanilla knows nothing about the application, so a health check belongs to a richer flavor.
 */
export function createVanillaFlavor(): FlavorPlugin {
  return {
    validate: async (properties) => {
      parseVanillaProperties(properties);
    },
    prepare: async (properties, spec) => prepareVanilla(parseVanillaProperties(properties), spec),
    healthy: async (): Promise<Health> => 'healthy',
    drain: async () => {},
  };
}

function prepareVanilla(properties: VanillaProperties, spec: InstanceSpec): InstanceSpec {
  const lines = properties.init ?? [];
  const init = [spec.init, ...lines].filter((part) => part !== '').join('\n');
  // The caller's tags win: they carry the group, config hash and idempotency key.
  const tags = { ...properties.tags, ...spec.tags };
  const attachments: Attachment[] = [...spec.attachments];
  for (const extra of properties.attachments ?? []) {
    if (!attachments.some((a) => a.id === extra.id && a.type === extra.type)) attachments.push(extra);
  }
  return { ...spec, tags, init, attachments };
}
