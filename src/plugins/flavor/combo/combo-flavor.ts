import { z } from 'zod';
import { parsePluginProperties } from '../../../lib/index.js';
import {
  type FlavorPlugin,
  type Health,
  type JsonValue,
  TendError,
  toTendError,
} from '../../../spi/index.js';

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.null(),
    z.boolean(),
    z.number(),
    z.string(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);

const propertiesSchema = z.strictObject({
  flavors: z
    .array(
      z.strictObject({
        plugin: z.string().min(1, 'expected a plugin name'),
        properties: jsonValue.optional(),
      }),
    )
    .min(1, 'expected at least one flavor'),
});

type ComboEntry = z.infer<typeof propertiesSchema>['flavors'][number];

export interface ComboFlavorOptions {
  /** Finds a sub-flavor by name; rejects with kind `not_found` when there is none. */
  resolve: (name: string) => Promise<FlavorPlugin>;
}

function parseComboProperties(properties: JsonValue | undefined): ComboEntry[] {
  return parsePluginProperties(propertiesSchema, properties, 'combo flavor').flavors;
}

/**
 * Chains flavors: each prepares the spec the previous one produced. Health is the worst of all
 * (`unhealthy`, then `unknown`, then `healthy`). A failure keeps its kind and names the sub-flavor.
 */
export function createComboFlavor(options: ComboFlavorOptions): FlavorPlugin {
  const { resolve } = options;

  /** Runs `step` for one sub-flavor, prefixing any failure with `flavors[i] (name)`. */
  async function each<T>(
    entry: ComboEntry,
    position: number,
    step: (flavor: FlavorPlugin, properties: JsonValue | undefined) => Promise<T>,
  ): Promise<T> {
    try {
      return await step(await resolve(entry.plugin), entry.properties);
    } catch (error) {
      const inner = toTendError(error);
      throw new TendError(
        inner.kind,
        `combo flavor: flavors[${position}] (${entry.plugin}): ${inner.message}`,
        {
          cause: error,
          details: { ...inner.details, flavor: entry.plugin, position },
        },
      );
    }
  }

  return {
    validate: async (properties, allocation, callOptions) => {
      const entries = parseComboProperties(properties);
      for (const [i, entry] of entries.entries()) {
        await each(entry, i, (flavor, sub) => flavor.validate(sub, allocation, callOptions));
      }
    },
    prepare: async (properties, spec, allocation, index, callOptions) => {
      let current = spec;
      for (const [i, entry] of parseComboProperties(properties).entries()) {
        const input = current;
        current = await each(entry, i, (flavor, sub) =>
          flavor.prepare(sub, input, allocation, index, callOptions),
        );
      }
      return current;
    },
    healthy: async (properties, instance, callOptions) => {
      const entries = parseComboProperties(properties);
      const answers = await Promise.all(
        entries.map((entry, i) =>
          each(entry, i, (flavor, sub) => flavor.healthy(sub, instance, callOptions)),
        ),
      );
      return worstHealth(answers);
    },
    drain: async (properties, instance, callOptions) => {
      for (const [i, entry] of parseComboProperties(properties).entries()) {
        await each(entry, i, (flavor, sub) => flavor.drain(sub, instance, callOptions));
      }
    },
  };
}

function worstHealth(answers: readonly Health[]): Health {
  if (answers.includes('unhealthy')) return 'unhealthy';
  if (answers.includes('unknown')) return 'unknown';
  return 'healthy';
}
