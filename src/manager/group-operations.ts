import { isDeepStrictEqual } from 'node:util';
import {
  configHash,
  desiredCount,
  diffDocuments,
  invalidSpec,
  type RollbackNotice,
  sizeLimitMessage,
  specToDocument,
} from '../group/index.js';
import {
  type ConfigStore,
  type GroupEvent,
  type GroupId,
  type InstanceId,
  type PluginResolver,
  type SpecRevision,
  TendError,
} from '../spi/index.js';
import type { AppliedGroup, ApplyView, CommitMeta, GroupPlanPreview, OkView } from './api-types.js';
import { type CommitAction, commitEvent } from './commit-events.js';
import type { LeaderSession } from './leader-session.js';
import { previewGroupPlan } from './plan-preview.js';
import { type CheckedSpec, checkDocument, checkedSpec, specFromRevision } from './spec-codec.js';

/** What the leader's write operations work on. */
export interface OperationsContext {
  store: ConfigStore;
  resolver: PluginResolver;
  session: LeaderSession;
  defaultAuthor: string;
  /** The ceiling on a group's size or logical IDs. */
  maxGroupSize: number;
  /** What a dry run's rehearsal plans with: the controllers' clock and cap on actions per tick. */
  now: () => number;
  maxActionsPerTick: number;
  /** Appends to the event log: every commit is an event (`committed`). */
  record: (event: GroupEvent) => void;
}

/** What a commit is, for history (the default reason) and for its event (the action). */
interface CommitKind {
  action: CommitAction;
  /** Recorded as the reason when the caller gives none. */
  reason: string;
}

/** Validates every group of the document first; only then commits those that changed. */
/** `apply`'s first half, outside any write queue: parse the document and let plugins validate it. */
export function checkApply(ctx: OperationsContext, text: string): Promise<CheckedSpec[]> {
  return checkDocument(text, {
    resolver: ctx.resolver,
    maxGroupSize: ctx.maxGroupSize,
    signal: ctx.session.signal,
  });
}

/** What `apply --dry-run` answers for checked specs: the change and the plan, nothing stored. */
export function dryRunApply(ctx: OperationsContext, checked: readonly CheckedSpec[]): ApplyView {
  return {
    dryRun: true,
    groups: checked.map((c) => dryRunResult(ctx, c)),
    plan: checked.map((c) => planFor(ctx, c)),
  };
}

/** `apply`'s second half, holding the write queue of every group in the document. */
export async function commitApply(
  ctx: OperationsContext,
  checked: readonly CheckedSpec[],
  meta: CommitMeta,
): Promise<ApplyView> {
  const groups: AppliedGroup[] = [];
  const kind: CommitKind = { action: 'apply', reason: 'apply' };
  for (const c of checked) groups.push(await commitChecked(ctx, c, meta, kind));
  return { dryRun: false, groups };
}

export async function scaleGroup(
  ctx: OperationsContext,
  id: GroupId,
  size: number,
  meta: CommitMeta,
): Promise<OkView> {
  const latest = await latestLive(ctx, id);
  const spec = specFromRevision(latest);
  if (!('size' in spec.allocation)) {
    throw new TendError(
      'invalid_spec',
      `group ${id} is allocated by logical IDs; edit its logicalIds instead`,
    );
  }
  if (size > ctx.maxGroupSize) {
    throw invalidSpec(
      [{ path: 'size', message: sizeLimitMessage(size, ctx.maxGroupSize) }],
      `scale ${id}`,
      'request',
    );
  }
  const result = await commitChecked(ctx, checkedSpec({ ...spec, allocation: { size } }), meta, {
    action: 'scale',
    reason: `scale to ${size}`,
  });
  return { ok: true, id, revision: result.revision, message: `${id} scaled to ${size}` };
}

/** Undo re-commits the revision before the latest, so the undo itself is history too. */
export async function undoRollout(ctx: OperationsContext, id: GroupId, meta: CommitMeta): Promise<OkView> {
  await latestLive(ctx, id);
  const revisions = await ctx.store.history(id);
  const previous = revisions.at(-2);
  if (previous === undefined || previous.deleted === true) {
    throw new TendError('conflict', `group ${id} has no earlier revision to go back to`);
  }
  const result = await commitChecked(ctx, checkedSpec(specFromRevision(previous)), meta, {
    action: 'rollout undo',
    reason: `rollout undo: back to revision ${previous.revision}`,
  });
  return {
    ok: true,
    id,
    revision: result.revision,
    message: `${id} rolling back to revision ${previous.revision} (committed as ${result.revision})`,
  };
}

/**
 * A controller rolled a failed rollout back: commit the spec it went back to, as `rollout undo`
 * would, so the stored spec is what runs and the next `scale` or `apply` builds on it. Moot (and
 * skipped) when the latest stored spec is no longer the one that failed: the operator moved on.
 */
export async function commitRollback(ctx: OperationsContext, rollback: RollbackNotice): Promise<void> {
  const id = rollback.spec.id;
  const latest = await ctx.store.latest(id);
  if (latest === undefined || latest.deleted === true) return;
  if (configHash(specFromRevision(latest)) !== rollback.failedConfig) return;
  const checked = checkedSpec(rollback.spec);
  const revisions = await ctx.store.history(id);
  const match = revisions.findLast(
    (r) =>
      r.deleted !== true && isDeepStrictEqual(r.spec, checked.document) && r.revision !== latest.revision,
  );
  const back = match === undefined ? '' : `; back to revision ${match.revision}`;
  await commitChecked(
    ctx,
    checked,
    { author: 'tend' },
    { action: 'rollback', reason: `automatic rollback: ${rollback.reason}${back}` },
  );
}

export function setPaused(ctx: OperationsContext, id: GroupId, paused: boolean): OkView {
  const controller = ctx.session.entry(id)?.controller;
  if (controller === undefined) throw missing(id);
  if (paused) controller.pause();
  else controller.resume();
  return { ok: true, id, message: `${id} ${paused ? 'paused' : 'resumed'}` };
}

export async function removeGroup(
  ctx: OperationsContext,
  id: GroupId,
  mode: 'destroy' | 'free',
  meta: CommitMeta,
): Promise<OkView> {
  await latestLive(ctx, id);
  await ctx.session.remove(id, mode);
  const kind: CommitKind = { action: mode, reason: mode };
  const written = { author: meta.author ?? ctx.defaultAuthor, reason: meta.reason ?? kind.reason };
  await ctx.store.remove(id, { ...written, epoch: ctx.session.epoch });
  // The store names no revision for a removal; its tombstone is the latest one.
  const tombstone = await ctx.store.latest(id);
  if (tombstone !== undefined)
    recordCommit(ctx, id, kind, { ...written, revision: tombstone.revision }, meta);
  const message = mode === 'destroy' ? `${id} destroyed` : `${id} freed; its instances keep running`;
  return { ok: true, id, message };
}

/**
 * InfraKit's `Group.DestroyInstances`: these instances go and a sized group shrinks by as many.
 * The controller records them in its journal first and only then is the smaller size committed,
 * so its ticks destroy exactly these (drain, journal intent, limiter, events), even after a
 * failed destroy or a new leader, and never pick other victims for the smaller size.
 */
export async function destroyInstances(
  ctx: OperationsContext,
  id: GroupId,
  instances: readonly InstanceId[],
  meta: CommitMeta,
): Promise<OkView> {
  const latest = await latestLive(ctx, id);
  const controller = ctx.session.entry(id)?.controller;
  if (controller === undefined) throw missing(id);
  const known = new Set(controller.status().instances.map((instance) => instance.id));
  const strangers = instances.filter((instance) => !known.has(instance));
  if (strangers.length > 0)
    throw new TendError('not_found', `group ${id} has no instance ${strangers.join(', ')}`);
  const spec = specFromRevision(latest);
  await controller.destroyInstances(instances, {
    recorded: async () => {
      if (!('size' in spec.allocation)) return;
      const size = Math.max(0, spec.allocation.size - instances.length);
      await commitChecked(ctx, checkedSpec({ ...spec, allocation: { size } }), meta, {
        action: 'instances destroy',
        reason: 'destroy instances',
      });
    },
  });
  return { ok: true, id, message: `${instances.length} instance(s) of ${id} destroyed` };
}

async function commitChecked(
  ctx: OperationsContext,
  c: CheckedSpec,
  meta: CommitMeta,
  kind: CommitKind,
): Promise<AppliedGroup> {
  const latest = await ctx.store.latest(c.spec.id);
  const live = latest !== undefined && latest.deleted !== true ? latest : undefined;
  if (live !== undefined && isDeepStrictEqual(live.spec, c.document) && ctx.session.entry(c.spec.id)) {
    return { id: c.spec.id, change: 'unchanged', config: c.config, revision: live.revision };
  }
  const written = { author: meta.author ?? ctx.defaultAuthor, reason: meta.reason ?? kind.reason };
  const { revision } = await ctx.store.commit({
    groupId: c.spec.id,
    spec: c.document,
    ...written,
    expectedRevision: latest?.revision ?? 0,
    epoch: ctx.session.epoch,
  });
  const change = live === undefined ? 'created' : 'updated';
  // Recorded once stored, before the controller hears of it: its events follow the commit's.
  recordCommit(
    ctx,
    c.spec.id,
    kind,
    { ...written, revision, ...(kind.action === 'apply' ? { change } : {}) },
    meta,
  );
  await ctx.session.upsert(c.spec, revision, c.config);
  return { id: c.spec.id, change, config: c.config, revision };
}

/** The `committed` event of what was just stored, as history records it. */
function recordCommit(
  ctx: OperationsContext,
  groupId: GroupId,
  kind: CommitKind,
  written: { author: string; reason: string; revision: number; change?: 'created' | 'updated' },
  meta: CommitMeta,
): void {
  ctx.record(
    commitEvent({
      groupId,
      action: kind.action,
      label: kind.reason,
      token: meta.token,
      at: ctx.now(),
      ...written,
    }),
  );
}

function dryRunResult(ctx: OperationsContext, c: CheckedSpec): AppliedGroup {
  const entry = ctx.session.entry(c.spec.id);
  if (entry === undefined) return { id: c.spec.id, change: 'created', config: c.config, revision: 0 };
  const same = isDeepStrictEqual(specToDocument(entry.spec), c.document);
  return {
    id: c.spec.id,
    change: same ? 'unchanged' : 'updated',
    config: c.config,
    revision: entry.revision,
  };
}

function planFor(ctx: OperationsContext, c: CheckedSpec): GroupPlanPreview {
  const entry = ctx.session.entry(c.spec.id);
  const options = { now: ctx.now(), maxActionsPerTick: ctx.maxActionsPerTick };
  if (entry === undefined) return previewGroupPlan(c.spec, c.config, undefined, options);
  const current = {
    config: entry.config,
    desired: desiredCount(entry.spec),
    status: ctx.session.status(c.spec.id),
  };
  const preview = previewGroupPlan(c.spec, c.config, current, options);
  return { ...preview, fields: diffDocuments(specToDocument(entry.spec), c.document) };
}

async function latestLive(ctx: OperationsContext, id: GroupId): Promise<SpecRevision> {
  const latest = await ctx.store.latest(id);
  if (latest === undefined || latest.deleted === true) throw missing(id);
  return latest;
}

function missing(id: GroupId): TendError {
  return new TendError('not_found', `no group ${id}`);
}
