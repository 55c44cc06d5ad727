import type { z } from 'zod';

/**
 * Turns zod issues into one path-precise line: `properties.members.a.peerPort: expected number,
 * received string`. Unknown keys get one entry each, naming the key.
 */
export function formatIssues(error: z.ZodError, root: string): string {
  return error.issues
    .flatMap((issue) => {
      let path = root;
      for (const part of issue.path) path += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
      if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${path}.${key}: unknown key`);
      return [`${path}: ${issue.message.replace(/^Invalid input: /, '')}`];
    })
    .join('; ');
}
