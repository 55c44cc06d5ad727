import { z } from 'zod';
import { strictObject, wholeNumber } from '../../../group/index.js';
import { createSimulatorPlugin, type SimulatorOptions } from '../../../plugins/instance/simulator/index.js';
import { definePluginKind } from '../define-kind.js';

const probability = z
  .number({ error: 'expected a probability between 0 and 1' })
  .min(0, { error: 'expected a probability between 0 and 1' })
  .max(1, { error: 'expected a probability between 0 and 1' })
  .optional();

const bucket = z.union(
  [z.literal('unlimited'), strictObject({ ratePerSec: z.number().positive(), burst: wholeNumber(1) })],
  {
    error: 'expected "unlimited" or { ratePerSec, burst }',
  },
);

export const simulatorKind = definePluginKind({
  kind: 'simulator',
  summary: 'an in-memory cloud with latency, EC2-like throttling and faults, deterministic by seed',
  configSchema: strictObject({
    seed: z.number().int().optional(),
    latencyMs: strictObject({ min: wholeNumber(0), max: wholeNumber(0) })
      .refine((l) => l.max >= l.min, { error: 'expected min ≤ max' })
      .optional(),
    rateLimits: strictObject({
      validate: bucket.optional(),
      provision: bucket.optional(),
      label: bucket.optional(),
      destroy: bucket.optional(),
      describe: bucket.optional(),
    }).optional(),
    faults: strictObject({
      provisionFailureRate: probability,
      lostResponseRate: probability,
      describeFailureRate: probability,
      vanishRate: probability,
      unhealthyRate: probability,
    }).optional(),
    tickMs: wholeNumber(1).optional(),
    /** Apply vanish/unhealthy faults from a background loop, so watchers hear of them. */
    autoTick: z.boolean().optional(),
  }),
  create: async (config, { seed, clock, logger }) => {
    const options: SimulatorOptions = { clock, logger, seed: config.seed ?? seed };
    if (config.latencyMs !== undefined) options.latencyMs = config.latencyMs;
    if (config.rateLimits !== undefined) options.rateLimits = withoutUndefined(config.rateLimits);
    if (config.faults !== undefined) options.faults = withoutUndefined(config.faults);
    if (config.tickMs !== undefined) options.tickMs = config.tickMs;
    if (config.autoTick !== undefined) options.autoTick = config.autoTick;
    return createSimulatorPlugin(options);
  },
});

/** `exactOptionalPropertyTypes`: zod's optional keys may hold undefined; the options may not. */
function withoutUndefined<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
