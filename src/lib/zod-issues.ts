import type { z } from 'zod';
import { TendError } from '../spi/index.js';

/**
 * Turns zod issues into one path-precise line: `properties.env.PORT: expected string, received
 * number`. Unknown keys get one entry each, naming the key. `root` names what was parsed
 * (`properties`, `params`, `body`; '' for nothing); past `max` problems the rest are counted.
 * The one formatter for every zod error a user or a peer sees.
 */
export function formatIssues(error: z.ZodError, root: string, max = Number.POSITIVE_INFINITY): string {
  const lines = error.issues.flatMap((issue) => {
    const path = formatPath(root, issue.path);
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => `${at(formatPath(path, [key]))}unknown key`);
    // A bad record key is reported as "Invalid key in record"; the reason is one level down.
    const message =
      issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    return [`${at(path)}${message.replace(/^Invalid input: /, '')}`];
  });
  const shown = lines.slice(0, max);
  if (lines.length > shown.length) shown.push(`and ${lines.length - shown.length} more`);
  return shown.join('; ');
}

/** `where: ` before a message, nothing when there is no path. */
function at(where: string): string {
  return where === '' ? '' : `${where}: `;
}

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/**
 * Parses a plugin's `properties` with its schema (absent = `{}`), or throws `invalid_spec` naming
 * the plugin and every problem's path: `etcd flavor: properties.members.a.peerPort: …`.
 */
export function parsePluginProperties<S extends z.ZodType>(
  schema: S,
  properties: unknown,
  plugin: string,
): z.output<S> {
  const result = schema.safeParse(properties ?? {});
  if (!result.success) {
    throw new TendError('invalid_spec', `${plugin}: ${formatIssues(result.error, 'properties')}`);
  }
  return result.data;
}
