import type { Clock, Logger, Random } from '../../lib/index.js';
import {
  type FlavorPlugin,
  type GroupSpec,
  type InstanceDescription,
  type InstanceId,
  type InstancePlugin,
  type InstanceSpec,
  type Intent,
  TAG_CONFIG,
  TAG_EPOCH,
  TAG_GROUP,
  TAG_LOGICAL,
  TAG_OP,
  type TendError,
  toTendError,
} from '../../spi/index.js';
import type { Action, DestroyAction, ProvisionAction } from '../plan/types.js';
import type { ControllerJournal } from './controller-api.js';
import { laneOf } from './lanes.js';
import { limitedCall } from './limited-call.js';
import type { LimiterLane, PluginLimiter } from './limiter.js';
import type { CallReport } from './observer.js';
import type { UncertainOps } from './uncertain-ops.js';

export interface ExecutorContext {
  /** The spec being converged to: the source of instance and flavor properties. */
  spec: GroupSpec;
  instancePlugin: InstancePlugin;
  flavorPlugin: FlavorPlugin;
  journal: ControllerJournal;
  limiter: PluginLimiter;
  epoch: number;
  clock: Clock;
  logger: Logger;
  random: Random;
  signal: AbortSignal;
  /** What the describe of this tick returned, for drain. */
  described: ReadonlyMap<InstanceId, InstanceDescription>;
  /** A plugin refused a call as `fenced`: a newer leader acts, so this term must stop. */
  onFenced?: (error: TendError) => void;
  /** Told of every instance plugin call made through `callProvider` (the controller's observer). */
  onCall?: (report: Omit<CallReport, 'group' | 'plugin'>) => void;
  /**
   * Idempotency keys whose provision failed without a sure "nothing was made" (a lost answer, a
   * timeout, an error). Before such a key is provisioned again, a describe by its `tend.op` looks
   * for what the failed call made, so no duplicate depends on the plugin honouring the key.
   */
  uncertainOps?: UncertainOps;
}

/** Which plugin failed, doing what: status names it (`docker provision failed: …`). */
export interface CallSite {
  plugin: string;
  operation: string;
}

export interface ExecutionOutcome {
  provisioned: Array<{ action: ProvisionAction; id: InstanceId }>;
  failedProvisions: Array<{ action: ProvisionAction; error: TendError; site: CallSite }>;
  destroyed: DestroyAction[];
  failedDestroys: Array<{ action: DestroyAction; error: TendError; site: CallSite }>;
}

/** A failure tagged with the call it came from; unwrapped again in `execute`. */
class SiteFailure extends Error {
  readonly site: CallSite;
  readonly error: TendError;
  constructor(site: CallSite, error: TendError) {
    super(error.message);
    this.site = site;
    this.error = error;
  }
}

async function at<T>(
  ctx: ExecutorContext,
  plugin: string,
  operation: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const failure = toTendError(error);
    if (failure.kind === 'fenced') ctx.onFenced?.(failure);
    throw new SiteFailure({ plugin, operation }, failure);
  }
}

/** Anything untagged failed outside a plugin call: a journal write. */
function failure(error: unknown): { error: TendError; site: CallSite } {
  if (error instanceof SiteFailure) return { error: error.error, site: error.site };
  return { error: toTendError(error), site: { plugin: 'journal', operation: 'write' } };
}

/**
 * Carries out one plan: every destroy first (drain, then destroy), then the provisions — a
 * provision that `replaces` an instance runs only if that destroy succeeded, so capacity bounds
 * hold even when a destroy fails. Each provider call is preceded by a journal intent.
 */
export async function execute(ctx: ExecutorContext, actions: readonly Action[]): Promise<ExecutionOutcome> {
  const outcome: ExecutionOutcome = {
    provisioned: [],
    failedProvisions: [],
    destroyed: [],
    failedDestroys: [],
  };
  const destroys = actions.filter((a): a is DestroyAction => a.type === 'destroy');
  await Promise.all(
    destroys.map(async (action) => {
      try {
        await destroyOne(ctx, action);
        outcome.destroyed.push(action);
      } catch (error) {
        outcome.failedDestroys.push({ action, ...failure(error) });
      }
    }),
  );
  const freed = new Set(outcome.destroyed.map((d) => d.instanceId));
  const provisions = actions.filter(
    (a): a is ProvisionAction =>
      a.type === 'provision' && (a.replaces === undefined || freed.has(a.replaces)),
  );
  await Promise.all(
    provisions.map(async (action) => {
      try {
        outcome.provisioned.push({ action, id: await provisionOne(ctx, action) });
      } catch (error) {
        outcome.failedProvisions.push({ action, ...failure(error) });
      }
    }),
  );
  return outcome;
}

async function provisionOne(ctx: ExecutorContext, action: ProvisionAction): Promise<InstanceId> {
  const { spec } = ctx;
  const made = await madeBefore(ctx, action);
  if (made !== undefined) return made;
  const tags: Record<string, string> = {
    [TAG_GROUP]: spec.id,
    [TAG_CONFIG]: action.config,
    [TAG_OP]: action.key,
    [TAG_EPOCH]: String(ctx.epoch),
  };
  if (action.logicalId !== undefined) tags[TAG_LOGICAL] = action.logicalId;
  const base: InstanceSpec = { tags, init: '', attachments: [] };
  if (spec.instance.properties !== undefined) base.properties = spec.instance.properties;
  if (action.logicalId !== undefined) base.logicalId = action.logicalId;
  const sequence = action.slot ?? logicalIndex(spec, action.logicalId);
  const prepared = await at(ctx, spec.flavor.plugin, 'prepare', () =>
    ctx.flavorPlugin.prepare(
      spec.flavor.properties,
      base,
      spec.allocation,
      { group: spec.id, sequence },
      { signal: ctx.signal },
    ),
  );
  // The flavor may add tags, never drop or change Tend's: they are how the group finds its own.
  const final: InstanceSpec = { ...prepared, tags: { ...prepared.tags, ...tags } };
  await ctx.journal.putIntent(intent(ctx, action.key, 'provision', action));
  try {
    const id = await at(ctx, spec.instance.plugin, 'provision', () =>
      callProvider(
        ctx,
        'provision',
        () => ctx.instancePlugin.provision(final, { signal: ctx.signal, epoch: ctx.epoch }),
        laneOf(spec, action),
      ),
    );
    ctx.uncertainOps?.delete(action.key);
    return id;
  } catch (error) {
    // `invalid_spec` is the platform's refusal: nothing was made. Anything else may have made it.
    if (!(error instanceof SiteFailure && error.error.kind === 'invalid_spec'))
      ctx.uncertainOps?.add(action.key);
    throw error;
  } finally {
    // Also after a failure: the next describe tells the truth, and the planner reuses the key.
    await clear(ctx, action.key);
  }
}

/**
 * The instance an earlier, failed provision of this key made, if a describe by its `tend.op`
 * finds one: it is adopted instead of provisioned again. Only keys that failed are looked up,
 * so a plugin that honours the key pays nothing, and one that ignores it makes no duplicate
 * unless its instance appears only after this look (see docs/protocol.md, Idempotency).
 */
async function madeBefore(ctx: ExecutorContext, action: ProvisionAction): Promise<InstanceId | undefined> {
  if (ctx.uncertainOps?.has(action.key) !== true) return undefined;
  const { spec } = ctx;
  const found = await at(ctx, spec.instance.plugin, 'describe', () =>
    callProvider(
      ctx,
      'describe',
      () =>
        ctx.instancePlugin.describeInstances(
          { [TAG_GROUP]: spec.id, [TAG_OP]: action.key },
          { signal: ctx.signal, epoch: ctx.epoch },
        ),
      laneOf(spec, action),
    ),
  );
  const [first] = [...found].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (first === undefined) return undefined;
  ctx.uncertainOps.delete(action.key);
  ctx.logger.info('provision found by its key after a failed answer', {
    group: spec.id,
    key: action.key,
    instance: first.id,
  });
  return first.id;
}

async function destroyOne(ctx: ExecutorContext, action: DestroyAction): Promise<void> {
  const description = ctx.described.get(action.instanceId);
  if (description !== undefined) {
    try {
      await ctx.flavorPlugin.drain(ctx.spec.flavor.properties, description, { signal: ctx.signal });
    } catch (error) {
      // A sick or stray instance often cannot drain; a healthy one that fails to drain stays.
      const drain = { plugin: ctx.spec.flavor.plugin, operation: 'drain' };
      if (action.reason === 'rollout' || action.reason === 'scale-in')
        throw new SiteFailure(drain, toTendError(error));
      if (ctx.signal.aborted) throw new SiteFailure(drain, toTendError(error));
      ctx.logger.warn('drain failed, destroying anyway', {
        instance: action.instanceId,
        reason: action.reason,
      });
    }
  }
  const key = `${ctx.spec.id}:destroy:${action.instanceId}`;
  await ctx.journal.putIntent({ ...intent(ctx, key, 'destroy'), instanceId: action.instanceId });
  try {
    await at(ctx, ctx.spec.instance.plugin, 'destroy', () =>
      callProvider(
        ctx,
        'destroy',
        () =>
          ctx.instancePlugin.destroy(
            action.instanceId,
            { reason: action.reason },
            { signal: ctx.signal, epoch: ctx.epoch },
          ),
        laneOf(ctx.spec, action),
      ),
    );
  } finally {
    await clear(ctx, key);
  }
}

/**
 * One instance plugin call through the plugin's limiter; `throttled` backs off with full jitter.
 * Each attempt is reported to `onCall`, timed without the limiter's wait.
 */
export function callProvider<T>(
  ctx: ExecutorContext,
  method: CallReport['method'],
  call: () => Promise<T>,
  lane: LimiterLane = 'change',
): Promise<T> {
  const { onCall } = ctx;
  if (onCall === undefined) return limitedCall(ctx, call, lane);
  const reported = async () => {
    const started = performance.now();
    try {
      const value = await call();
      onCall({ method, ms: performance.now() - started });
      return value;
    } catch (error) {
      onCall({ method, ms: performance.now() - started, error: toTendError(error) });
      throw error;
    }
  };
  return limitedCall(ctx, reported, lane);
}

function intent(
  ctx: ExecutorContext,
  key: string,
  operation: Intent['operation'],
  action?: ProvisionAction,
): Intent {
  const entry: Intent = {
    key,
    groupId: ctx.spec.id,
    operation,
    config: action?.config ?? '',
    epoch: ctx.epoch,
    at: new Date(ctx.clock.now()).toISOString(),
  };
  if (action?.slot !== undefined) entry.slot = action.slot;
  if (action?.logicalId !== undefined) entry.logicalId = action.logicalId;
  return entry;
}

/** After an abort the intent stays: the next leader resolves it (and a fenced write would fail). */
async function clear(ctx: ExecutorContext, key: string): Promise<void> {
  if (!ctx.signal.aborted) await ctx.journal.clearIntent(key);
}

function logicalIndex(spec: GroupSpec, id: string | undefined): number {
  if (id === undefined || 'size' in spec.allocation) return 0;
  return Math.max(0, spec.allocation.logicalIds.indexOf(id as (typeof spec.allocation.logicalIds)[number]));
}
