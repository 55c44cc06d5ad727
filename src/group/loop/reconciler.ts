import type { Clock, Logger, Random } from '../../lib/index.js';
import {
  type FlavorPlugin,
  type GroupEvent,
  type GroupEventType,
  type GroupSpec,
  type GroupStatus,
  type GroupSummary,
  type InstanceDescription,
  type InstanceId,
  type InstancePlugin,
  TAG_GROUP,
  TAG_OP,
  TendError,
  toTendError,
} from '../../spi/index.js';
import { type BreakerVerdict, reduceBreaker, reduceBreakerAll } from '../breaker/breaker.js';
import { earlyExitVerdicts, pacing, settled } from '../breaker/verdicts.js';
import { plan } from '../plan/plan.js';
import {
  applyPlan,
  initialPlannerState,
  keepVictims,
  markVictims,
  missingSince,
  parsePlannerState,
  plannerStateToJson,
  recordGenerations,
  recordListed,
  recordProvisioned,
  retarget,
} from '../plan/state.js';
import type { ObservedInstance, PlanLimits, PlannerState } from '../plan/types.js';
import { configHash, infraKitConfigSha } from '../spec/index.js';
import { createCallErrorLog } from './call-errors.js';
import type { ControllerJournal, RollbackNotice } from './controller-api.js';
import {
  buildStatus,
  buildSummary,
  createInstanceIndex,
  holdProgress,
  type RolloutProgress,
  type StatusInput,
} from './controller-status.js';
import type { Describer } from './describe-coalescer.js';
import type { Emit } from './emit.js';
import { callProvider, type ExecutorContext, execute } from './executor.js';
import {
  type InfraKitTarget,
  infraKitLookTags,
  labelInfraKitMembers,
  needsAdoption,
  readInfraKitConfig,
} from './infrakit-adoption.js';
import type { PluginLimiter } from './limiter.js';
import { createHealthTracker, healthOf } from './observe.js';
import type { ControllerObserver } from './observer.js';
import { hasFailures, recordOutcome, transitionEvents } from './reconciler-events.js';
import { stabilityOf } from './stability.js';
import { UncertainOps } from './uncertain-ops.js';

export interface ReconcilerOptions {
  spec: GroupSpec;
  instancePlugin: InstancePlugin;
  flavorPlugin: FlavorPlugin;
  journal: ControllerJournal;
  epoch: number;
  clock: Clock;
  logger: Logger;
  random: Random;
  limiter: PluginLimiter;
  /** The tick's describe (shared by the groups of one plugin); it applies the limiter itself. */
  describer: Describer;
  describeTimeoutMs: number;
  planLimits: PlanLimits;
  onEvent: (event: GroupEvent) => void;
  onRollback: (rollback: RollbackNotice) => void;
  onFenced?: (error: TendError) => void;
  /** Told what the tick does: its start and end, its look, its calls and their outcome. */
  observer: Required<ControllerObserver>;
}

export interface TickResult {
  /** Provider calls were made. */
  acted: boolean;
  /** Describe failed, or some provider call failed: the loop backs off. */
  failed: boolean;
  /** The describe worked after failing: the platform is back, so the loop's backoff starts over. */
  recovered?: boolean;
  /** Replacements are held back until then (ms since epoch): the loop looks again no later. */
  retryAt?: number;
  /** How many instances the tick's describe found; undefined when it failed. */
  observed?: number;
}

export type { Emit } from './emit.js';

/** Ends a finished describe's timeout; one object, not a DOMException with a stack per tick. */
const DESCRIBE_OVER = new Error('describe over');

/** One group's reconcile state and its tick: observe → plan → act. The loop lives in controller.ts. */
export function createReconciler(o: ReconcilerOptions) {
  let userSpec = o.spec;
  let state: PlannerState = initialPlannerState;
  let savedJson: string | undefined;
  let loaded = false;
  let loading: Promise<void> | undefined;
  let observed: ObservedInstance[] = [];
  let described: InstanceDescription[] = [];
  let blind = false;
  /** No complete describe yet in this controller's life: the journal's list is still to be checked. */
  let firstLook = true;
  let destroying = false;
  // Also look for InfraKit's tag: at the start of each term, and while a look finds members of
  // InfraKit's that still lack Tend's tags (labelling them ends it).
  let lookForInfraKit = true;
  const instanceIndex = createInstanceIndex(() => ({ observed, described }));
  const errors = createCallErrorLog();
  let lastTickAt: number | undefined;
  let rolloutProgress: RolloutProgress | undefined;
  const tracker = createHealthTracker();
  const uncertainOps = new UncertainOps();
  // Operator changes made before the journal was read are replayed over the loaded state.
  const beforeLoad: Array<(s: PlannerState) => PlannerState> = [];
  const change = (mutate: (s: PlannerState) => PlannerState) => {
    if (!loaded) beforeLoad.push(mutate);
    state = mutate(state);
  };

  const effectiveSpec = (): GroupSpec => state.rollout?.targetSpec ?? userSpec;
  const emit: Emit = (type, message, extra = {}) => {
    try {
      o.onEvent({ type, groupId: o.spec.id, message, at: o.clock.now(), ...extra });
    } catch (error) {
      o.logger.warn('event listener failed', { error: String(error) });
    }
  };
  const emitAll = (
    events: ReadonlyArray<{ type: GroupEventType; message: string; data?: GroupEvent['data'] }>,
  ) => {
    for (const e of events) emit(e.type, e.message, e.data === undefined ? {} : { data: e.data });
  };
  /** Hands the breaker its verdicts, in order, and says what its transitions were. */
  const judge = (verdicts: readonly BreakerVerdict[], now: number) => {
    const step = reduceBreakerAll(state.breaker, verdicts, now);
    // An unchanged breaker leaves the state as it was, so `persist` has nothing to compare.
    if (step.state !== state.breaker) state = { ...state, breaker: step.state };
    emitAll(step.events);
  };
  /** Verdicts that count failures, then the pacing their new failures call for. */
  const judgeFailures = (verdicts: readonly BreakerVerdict[], now: number, paceFrom = now) => {
    const before = state.breaker;
    judge(verdicts, now);
    const paced = pacing(before, state.breaker, paceFrom, o.random);
    if (paced !== undefined) judge([paced], now);
  };
  const group = o.spec.id;
  const executorContext = (signal: AbortSignal, spec: GroupSpec): ExecutorContext => ({
    ...o,
    spec,
    signal,
    described: new Map(described.map((d) => [d.id, d])),
    uncertainOps,
    onCall: (call) => o.observer.call({ group, plugin: spec.instance.plugin, ...call }),
  });

  /** The state last saved or found saved (states are replaced, never changed in place). */
  let savedState: PlannerState | undefined;
  async function persist(): Promise<void> {
    // Most ticks change nothing: no serialization of the group's state to find that out.
    if (state === savedState) return;
    const saving = state;
    const json = JSON.stringify(saving);
    if (json !== savedJson) await o.journal.saveState(plannerStateToJson(saving));
    savedJson = json;
    savedState = saving;
  }

  /** Reads the journal once; callers that come while it is read wait for the same read. */
  function load(): Promise<void> {
    loading ??= readJournal().catch((error: unknown) => {
      loading = undefined; // the next tick tries again
      throw error;
    });
    return loading;
  }

  async function readJournal(): Promise<void> {
    const raw = await o.journal.loadState();
    const parsed = parsePlannerState(raw);
    savedJson = raw === undefined ? undefined : JSON.stringify(parsed);
    state = beforeLoad.reduce((s, mutate) => mutate(s), parsed);
    loaded = true;
    // A rollback the last leader decided but did not live to commit: ask again.
    if (
      state.rollout?.targetSpec !== undefined &&
      configHash(state.rollout.targetSpec) !== configHash(userSpec)
    )
      announceRollback();
  }

  /** While `targetSpec` is set, what runs differs from what is stored: the manager commits it. */
  function announceRollback(): void {
    const rollout = state.rollout;
    if (rollout?.targetSpec === undefined) return;
    const notice = {
      spec: rollout.targetSpec,
      failedConfig: rollout.fromConfig,
      reason: rollout.reason ?? 'rollout failed',
    };
    try {
      o.onRollback(notice);
    } catch (error) {
      o.logger.warn('rollback listener failed', { error: String(error) });
    }
  }

  /** A new leader's first duty: find out what became of the last leader's in-flight calls. */
  async function resolveIntents(signal: AbortSignal): Promise<void> {
    const ctx = executorContext(signal, effectiveSpec());
    for (const intent of await o.journal.listIntents()) {
      if (intent.groupId !== o.spec.id) continue;
      if (intent.operation === 'provision') {
        const found = await callProvider(ctx, 'describe', () =>
          o.instancePlugin.describeInstances(
            { [TAG_GROUP]: o.spec.id, [TAG_OP]: intent.key },
            { signal, epoch: o.epoch },
          ),
        );
        // Not found: the planner wants the same slot again and re-derives the same key.
        // Found: the key is spent, even if that instance dies before the first describe.
        if (found.length > 0) change((s) => recordProvisioned(s, o.spec.id, [intent]));
        o.logger.info('intent resolved', { key: intent.key, done: found.length > 0 });
      }
      await o.journal.clearIntent(intent.key);
    }
  }

  /** The group's instances, or the error that kept Tend from seeing them. */
  async function describe(signal: AbortSignal, urgent: boolean): Promise<InstanceDescription[] | TendError> {
    const timeout = new AbortController();
    const both = AbortSignal.any([signal, timeout.signal]);
    const timer = o.clock.sleep(o.describeTimeoutMs, both).then(
      () => timeout.abort(new TendError('timeout', `describe took over ${o.describeTimeoutMs} ms`)),
      () => {},
    );
    const spec = effectiveSpec();
    try {
      const own = { [TAG_GROUP]: o.spec.id };
      // One request either way: merged with other groups' looks, it costs no extra call.
      const tags = lookForInfraKit ? [own, infraKitLookTags(o.spec.id)] : own;
      const answer = await o.describer.describe(tags, both, o.epoch, { urgent });
      lookForInfraKit = answer.some(needsAdoption);
      errors.succeeded('describe');
      return answer;
    } catch (error) {
      const failure = toTendError(timeout.signal.aborted ? timeout.signal.reason : error);
      errors.failed('describe', { plugin: spec.instance.plugin, operation: 'describe' }, failure);
      return failure;
    } finally {
      timeout.abort(DESCRIBE_OVER);
      await timer;
    }
  }

  /** One tick, reported to the observer from start to end. */
  /** `urgent`: the plugin's watch woke this tick (its look need not wait for other groups'). */
  async function tick(signal: AbortSignal, options: { urgent?: boolean } = {}): Promise<TickResult> {
    const started = performance.now();
    o.observer.tickStarted({ group });
    let result: TickResult = { acted: false, failed: true };
    try {
      result = await observeAndAct(signal, options.urgent === true);
      return result;
    } finally {
      o.observer.tickEnded({
        group,
        acted: result.acted,
        failed: result.failed,
        ms: performance.now() - started,
      });
    }
  }

  async function observeAndAct(signal: AbortSignal, urgent: boolean): Promise<TickResult> {
    await load();
    const now = o.clock.now();
    const spec = effectiveSpec();
    const targetConfig = configHash(spec);
    lastTickAt = now;
    const looking = performance.now();
    const answer = await describe(signal, urgent);
    if (answer instanceof TendError) {
      o.observer.observed({ group, ms: performance.now() - looking });
      // Never act on a partial view: a failed describe means "I do not know", not "none".
      if (!blind) emit('blind', `describe failed: ${answer.message}`);
      blind = true;
      return { acted: false, failed: true };
    }
    const recovered = blind;
    blind = false;
    described = answer;
    const health = await healthOf(o.flavorPlugin, answer, spec, signal);
    o.observer.observed({ group, instances: answer.length, ms: performance.now() - looking });
    const infrakit = infraKitTarget(spec, targetConfig);
    const asTend = answer.map((d) => readInfraKitConfig(d, infrakit));
    const seen = tracker.observe(asTend, health, now, stabilityOf(spec));
    observed = seen.observed;
    const listed = new Set(answer.map((d) => d.id));
    // What the last leader's last look listed and this first look lacks went while none watched.
    if (firstLook) {
      firstLook = false;
      for (const id of missingSince(state, listed))
        emit(
          'vanished',
          `instance ${id} went while no leader watched (not destroyed by Tend); it will be replaced`,
          {
            instanceId: id,
            data: { unwatched: true },
          },
        );
    }
    for (const id of seen.vanished)
      emit('vanished', `instance ${id} is gone (not destroyed by Tend); it will be replaced`, {
        instanceId: id,
      });
    for (const change of seen.changes) {
      if (change.becameUnhealthy)
        emit('unhealthy', `instance ${change.id} reports unhealthy`, { instanceId: change.id });
      if (change.becameStable) judge([{ type: 'proved' }], now);
    }
    state = recordGenerations(state, spec.id, observed);
    if (settled(observed, spec, targetConfig, now)) judge([{ type: 'proved' }], now);
    // After any proof: an instance that crashed is counted even when another one proved itself.
    for (const exit of seen.exits)
      o.logger.warn('instance exited before it was stable', {
        instance: exit.id,
        ageMs: exit.ageMs,
        seen: exit.seen,
      });
    judgeFailures(earlyExitVerdicts(seen.exits), now);
    judge([{ type: 'released', targetConfig, why: 'a new spec is the target' }], now);

    // The operator's victims that no describe lists any more are done with.
    state = keepVictims(state, (id) => listed.has(id));
    const mode = destroying ? 'destroy-all' : 'converge';
    const actions = plan({ spec, targetConfig, observed, now, state, limits: o.planLimits, mode });
    const planned = applyPlan(state, actions, now);
    state = recordListed(planned.state, listed, actions);
    transitionEvents(actions, emit);
    emitAll(planned.events);
    if (actions.some((a) => a.type === 'rollout-failed' && a.onFailure === 'rollback')) announceRollback();
    await persist();
    // Once all are labelled, Tend's own look finds them: InfraKit's is no longer needed.
    if (!destroying && lookForInfraKit)
      lookForInfraKit = !(await labelInfraKitMembers(executorContext(signal, spec), infrakit, answer));
    const steps = actions.filter((a) => a.type === 'provision' || a.type === 'destroy');
    const count = { observed: observed.length };
    if (steps.length === 0) return { acted: false, failed: false, recovered, ...count, ...held() };

    const outcome = await execute(executorContext(signal, spec), steps);
    o.observer.outcome({
      group,
      created: outcome.provisioned.map(({ id }) => id),
      destroyed: outcome.destroyed.map((d) => d.instanceId),
      failedProvisions: outcome.failedProvisions.length,
      failedDestroys: outcome.failedDestroys.length,
    });
    errors.record(outcome);
    const verdicts = recordOutcome({ outcome, now, emit, tracker, logger: o.logger, steps, targetConfig });
    judgeFailures(verdicts, now, o.clock.now());
    state = recordProvisioned(
      state,
      spec.id,
      outcome.provisioned.map(({ action }) => action),
    );
    const destroyed = new Set(outcome.destroyed.map((d) => d.instanceId));
    state = keepVictims(state, (id) => !destroyed.has(id));
    await persist();
    return { acted: true, failed: hasFailures(outcome, signal), recovered, ...count, ...held() };
  }

  /** InfraKit's hash of the target spec, worked out once per spec. */
  let infraKitMemo: { spec: GroupSpec; target: InfraKitTarget } | undefined;
  function infraKitTarget(spec: GroupSpec, config: string): InfraKitTarget {
    if (infraKitMemo?.spec !== spec)
      infraKitMemo = { spec, target: { sha: infraKitConfigSha(spec), config } };
    return infraKitMemo.target;
  }

  function held(): { retryAt?: number } {
    const { retryAt, status } = state.breaker;
    return status === 'closed' && retryAt !== undefined && retryAt > o.clock.now() ? { retryAt } : {};
  }

  function statusInput(): StatusInput {
    const spec = effectiveSpec();
    const lastError = errors.latest();
    return {
      spec,
      targetConfig: configHash(spec),
      observed,
      described,
      state,
      blind,
      destroying,
      now: o.clock.now(),
      ...(lastError === undefined ? {} : { lastError }),
      ...(lastTickAt === undefined ? {} : { lastTickAt }),
    };
  }

  return {
    tick,
    load,
    resolveIntents,
    effectiveSpec,
    emit,
    executorContext,
    described: () => described,
    /** The plugin's watch says the instance is gone: an unseen one counts as exited, not as lagging. */
    noteGone: (id: InstanceId) => tracker.gone(id),
    setDestroying: (value: boolean) => {
      destroying = value;
    },
    /** Records instances the operator named for destruction, in the journal before it resolves. */
    async markVictims(ids: readonly InstanceId[]): Promise<void> {
      await load();
      change((s) => markVictims(s, ids));
      await persist();
    },
    /** Victims not destroyed yet. */
    victims: (): readonly InstanceId[] => state.victims ?? [],
    status: (): GroupStatus => {
      const status = buildStatus(statusInput());
      rolloutProgress = holdProgress(status.rollout, rolloutProgress);
      return status;
    },
    /** The instances in ID order (the pages of `GET /v1/groups/:id/instances`). */
    instancesById: () => instanceIndex.sorted(),
    instance: (id: string) => instanceIndex.find(id),
    summary: (): GroupSummary => {
      const summary = buildSummary(statusInput());
      rolloutProgress = holdProgress(summary.rollout, rolloutProgress);
      return summary;
    },
    update(spec: GroupSpec) {
      const now = o.clock.now();
      const previousUser = userSpec;
      const from = configHash(effectiveSpec());
      change((s) => retarget(s, s.rollout?.targetSpec ?? previousUser, spec, now));
      userSpec = spec;
      const to = configHash(spec);
      if (from !== to)
        emit('rollout-started', `rolling out ${to} over ${from}`, {
          data: { fromConfig: from, toConfig: to },
        });
    },
    setPaused(paused: boolean) {
      const now = o.clock.now();
      const released = reduceBreaker(
        state.breaker,
        { type: 'released', why: 'resumed by the operator' },
        now,
      );
      change((s) => {
        const r = s.rollout;
        const resumed =
          !paused && r?.state === 'paused' ? { ...r, state: 'running' as const, startedAt: now } : r;
        const next = { ...s, paused, ...(resumed === undefined ? {} : { rollout: resumed }) };
        // The operator's resume is their word that the platform may take the spec now.
        if (paused) return next;
        return { ...next, breaker: reduceBreaker(next.breaker, { type: 'released', why: '' }, now).state };
      });
      if (!paused) emitAll(released.events);
    },
    persist,
    plannerState: () => state,
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
