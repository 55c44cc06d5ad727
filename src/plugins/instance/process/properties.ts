import { z } from 'zod';
import { parsePluginProperties } from '../../../lib/index.js';
import type { JsonValue } from '../../../spi/index.js';

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

const propertiesSchema = z.strictObject({
  /** Added to the instance's clean environment (see instance-env.ts); never the manager's whole one. */
  env: z
    .record(z.string().regex(envName, 'expected an environment variable name like NAME_1'), z.string())
    .optional(),
  /** Working directory; defaults to the manager's. */
  cwd: z.string().min(1, 'expected a non-empty path').optional(),
});

export type ProcessProperties = z.infer<typeof propertiesSchema>;

/** Validates the `process` plugin's properties; `undefined` and `null` mean "none". */
export function parseProcessProperties(properties: JsonValue | undefined): ProcessProperties {
  return parsePluginProperties(propertiesSchema, properties, 'process plugin');
}
