import { z } from 'zod';
import { formatIssues } from '../lib/index.js';
import {
  type CommitInput,
  type GroupId,
  groupId,
  type Intent,
  type JsonValue,
  type SpecRevision,
  TendError,
} from '../spi/index.js';

// Shapes of what the backends persist. Files and etcd values are a trust boundary (a person or
// another version may have written them), so every read goes through these schemas.

const jsonValue = z.json();

export const specRevisionSchema = z.object({
  groupId: z.string(),
  revision: z.number().int().positive(),
  spec: jsonValue,
  author: z.string(),
  at: z.string(),
  reason: z.string(),
  deleted: z.boolean().optional(),
});

export const intentSchema = z.object({
  key: z.string().min(1),
  groupId: z.string(),
  operation: z.enum(['provision', 'destroy']),
  config: z.string(),
  slot: z.number().int().optional(),
  logicalId: z.string().optional(),
  instanceId: z.string().optional(),
  epoch: z.number().int(),
  at: z.string(),
});

export const groupStateSchema = z.object({ groupId: z.string(), state: jsonValue });

export const fenceSchema = z.object({ epoch: z.number().int().nonnegative() });

/** zod's optional fields come back as `T | undefined`; the spi types omit them instead. */
export function toSpecRevision(value: z.infer<typeof specRevisionSchema>): SpecRevision {
  const revision: SpecRevision = {
    groupId: groupId(value.groupId),
    revision: value.revision,
    spec: value.spec as JsonValue,
    author: value.author,
    at: value.at,
    reason: value.reason,
  };
  if (value.deleted === true) revision.deleted = true;
  return revision;
}

export function toIntent(value: z.infer<typeof intentSchema>): Intent {
  const intent: Intent = {
    key: value.key,
    groupId: groupId(value.groupId),
    operation: value.operation,
    config: value.config,
    epoch: value.epoch,
    at: value.at,
  };
  if (value.slot !== undefined) intent.slot = value.slot;
  if (value.logicalId !== undefined) intent.logicalId = value.logicalId;
  if (value.instanceId !== undefined) intent.instanceId = value.instanceId;
  return intent;
}

/** Parses JSON text with a schema; the error message says what is wrong, for the caller to place. */
export function parseRecord<T>(
  schema: z.ZodType<T>,
  text: string,
): { ok: true; value: T } | { ok: false; problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      problem: `not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problem: `unexpected shape (${formatIssues(result.error, '', 1)})` };
}

/** Group IDs and intent keys become file names and etcd key segments; this keeps `/` and friends out. */
export function encodeName(name: string): string {
  return encodeURIComponent(name).replaceAll('.', '%2E');
}

export function decodeName(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

// Rules every backend applies the same way, so they answer with the same kinds and messages.

export function checkFence(epoch: number | undefined, fence: number, what: string): void {
  if (epoch !== undefined && epoch < fence) {
    throw new TendError(
      'fenced',
      `${what} refused: epoch ${epoch} is older than the store's fence ${fence}`,
      {
        details: { epoch, fence },
      },
    );
  }
}

export function checkRaise(epoch: number, fence: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new TendError('invalid_spec', `raiseFence: epoch must be a whole number ≥ 0, got ${epoch}`);
  }
  if (epoch < fence) {
    throw new TendError('fenced', `raiseFence(${epoch}) refused: the fence is already at ${fence}`, {
      details: { epoch, fence },
    });
  }
}

export function checkExpected(groupId: GroupId, expected: number | undefined, latest: number): void {
  if (expected !== undefined && expected !== latest) {
    throw new TendError(
      'conflict',
      `commit to group ${groupId} expected revision ${expected}, but the latest is ${latest}`,
      { details: { groupId, expected, latest } },
    );
  }
}

/** The revision a commit appends after revision `latest` (0 when the group has none yet). */
export function nextRevision(input: CommitInput, latest: number, now: number): SpecRevision {
  return {
    groupId: input.groupId,
    revision: latest + 1,
    spec: input.spec,
    author: input.author,
    at: new Date(now).toISOString(),
    reason: input.reason,
  };
}

/** The revision a remove appends after revision `latest`: no spec, marked deleted. */
export function tombstone(
  groupId: GroupId,
  latest: number,
  input: { author: string; reason: string },
  now: number,
): SpecRevision {
  return {
    groupId,
    revision: latest + 1,
    spec: null,
    author: input.author,
    at: new Date(now).toISOString(),
    reason: input.reason,
    deleted: true,
  };
}

export function notFound(groupId: GroupId): TendError {
  return new TendError('not_found', `group ${groupId} does not exist (or is already removed)`, {
    details: { groupId },
  });
}
