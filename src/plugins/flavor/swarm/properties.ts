import { z } from 'zod';
import { DURATION_HINT, parseDuration, parsePluginProperties } from '../../../lib/index.js';
import type { JsonValue } from '../../../spi/index.js';

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected ${DURATION_HINT}` });
    return z.NEVER;
  }
  return ms;
});

/** Where the flavor reaches a manager's Engine API: `unix:///path/docker.sock` or `tcp://host:port`. */
const endpoint = z
  .string()
  .regex(/^(unix:\/\/\/\S+|tcp:\/\/[A-Za-z0-9.-]+:\d{1,5})$/, 'expected unix:///path or tcp://host:port');

const propertiesSchema = z.strictObject({
  /** `worker` for a size group of workers, `manager` for a logical-ID group of managers. */
  role: z.enum(['worker', 'manager']),
  /**
   * Engine APIs of swarm managers, asked in order until one answers: join tokens, the manager
   * list, node health and drains all come from there. The swarm must exist (`docker swarm init`).
   */
  managers: z.array(endpoint).min(1, 'expected at least one manager engine'),
  /** The docker CLI the Init runs on the new instance. */
  docker: z
    .string()
    .regex(/^[A-Za-z0-9._/-]+$/, 'expected a command or path')
    .default('docker'),
  /** How long the Init waits for the instance's own engine to answer before joining. */
  engineWait: duration.default(60_000),
  /** How long drain waits for the node's tasks to move before it lets the destroy go ahead. */
  drainTimeout: duration.default(60_000),
  /**
   * A node of this group that has been down this long is removed even though Tend never drained
   * it (its instance vanished without a destroy). Drained nodes are removed as soon as they are down.
   */
  removeDownAfter: duration.default(600_000),
  /** How long a prepared manager may take to join before the next manager may be prepared. */
  joinTimeout: duration.default(120_000),
});

export type SwarmProperties = z.output<typeof propertiesSchema>;
export type SwarmRole = SwarmProperties['role'];

export function parseSwarmProperties(properties: JsonValue | undefined): SwarmProperties {
  return parsePluginProperties(propertiesSchema, properties, 'swarm flavor');
}
