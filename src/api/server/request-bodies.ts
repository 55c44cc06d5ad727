import { z } from 'zod';

// The manager's HTTP API on the server side: request bodies, validated with zod (the trust
// boundary). The answers' shapes live in api/views.ts, shared with `ManagerClient`.

const author = z.string().min(1).max(200).optional();
const reason = z.string().max(2000).optional();

export const applyBody = z.object({
  document: z.string().min(1, 'document: expected a non-empty spec document'),
  dryRun: z.boolean().optional(),
  author,
  reason,
});
export type ApplyBody = z.infer<typeof applyBody>;

export const scaleBody = z.object({
  size: z.number().int().min(0).max(100_000),
  author,
  reason,
});
export type ScaleBody = z.infer<typeof scaleBody>;

export const destroyInstancesBody = z.object({
  instances: z.array(z.string().min(1).max(512)).min(1).max(10_000),
  author,
  reason,
});

/** Body of the actions that take no argument (rollout pause/resume/undo, destroy, free). */
export const actionBody = z.object({ author, reason }).default({});
