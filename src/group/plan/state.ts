import { z } from 'zod';
import type { GroupSpec, InstanceId, JsonValue } from '../../spi/index.js';
import { type BreakerEvent, type BreakerVerdict, reduceBreaker } from '../breaker/breaker.js';
import { configHash } from '../spec/index.js';
import { parseOpKey } from './helpers.js';
import type { Action, ObservedInstance, PlannerState } from './types.js';

export const initialPlannerState: PlannerState = {
  paused: false,
  breaker: { status: 'closed', consecutiveFailures: 0 },
  generations: {},
};

/**
 * Applies the planner's transitions to its state (pure), with the breaker's events they cause.
 * `previousSpec` is what a rollout started by the planner can fall back to, when known.
 */
export function applyPlan(
  state: PlannerState,
  actions: readonly Action[],
  now: number,
): { state: PlannerState; events: BreakerEvent[] } {
  let next = state;
  const events: BreakerEvent[] = [];
  const breaker = (verdict: BreakerVerdict) => {
    const step = reduceBreaker(next.breaker, verdict, now);
    next = { ...next, breaker: step.state };
    events.push(...step.events);
  };
  for (const action of actions) {
    switch (action.type) {
      case 'rollout-start':
        next = {
          ...next,
          rollout: {
            fromConfig: action.fromConfig,
            toConfig: action.toConfig,
            startedAt: now,
            state: 'running',
          },
        };
        break;
      case 'rollout-done':
        if (next.rollout !== undefined) next = { ...next, rollout: { ...next.rollout, state: 'done' } };
        break;
      case 'rollout-failed':
        next = failRollout(next, action.onFailure, action.reason, now);
        break;
      case 'breaker-open':
        breaker({ type: 'tripped', reason: action.reason });
        break;
      case 'breaker-half-open':
        breaker({ type: 'trial' });
        break;
      default:
        break;
    }
  }
  return { state: next, events };
}

/** `applyPlan` without the events, for simulations. */
export function applyTransitions(state: PlannerState, actions: readonly Action[], now: number): PlannerState {
  return applyPlan(state, actions, now).state;
}

function failRollout(state: PlannerState, onFailure: 'pause' | 'rollback', reason: string, now: number) {
  const rollout = state.rollout;
  if (rollout === undefined) return state;
  if (onFailure === 'rollback' && rollout.previousSpec !== undefined) {
    return {
      ...state,
      rollout: {
        fromConfig: rollout.toConfig,
        toConfig: rollout.fromConfig,
        targetSpec: rollout.previousSpec,
        startedAt: now,
        state: 'rolling-back' as const,
        reason,
      },
    };
  }
  return { ...state, paused: true, rollout: { ...rollout, state: 'paused' as const, reason } };
}

/** Remembers the highest generation seen per slot, so a later replacement never reuses a key. */
export function recordGenerations(
  state: PlannerState,
  group: string,
  observed: readonly ObservedInstance[],
): PlannerState {
  return raiseGenerations(
    state,
    group,
    observed.map((i) => ({ config: i.config, key: i.op })),
  );
}

/**
 * Remembers the keys of provisions that succeeded: the instance may die before any describe
 * shows it, and its replacement must not get its key back (an idempotent plugin would hand back
 * the dead instance). Failed provisions are not recorded: a lost response is retried by key.
 */
export function recordProvisioned(
  state: PlannerState,
  group: string,
  provisioned: ReadonlyArray<{ config: string; key: string }>,
): PlannerState {
  return raiseGenerations(state, group, provisioned);
}

function raiseGenerations(
  state: PlannerState,
  group: string,
  keys: ReadonlyArray<{ config: string; key: string | undefined }>,
): PlannerState {
  let generations: Record<string, number> | undefined;
  for (const { config, key } of keys) {
    const parsed = parseOpKey(group, config, key);
    if (parsed === undefined) continue;
    const known = (generations ?? state.generations)[parsed.slot] ?? -1;
    if (parsed.generation <= known) continue;
    generations ??= { ...state.generations };
    generations[parsed.slot] = parsed.generation;
  }
  return generations === undefined ? state : { ...state, generations };
}

/** Adds instances the operator named for destruction (kept until none of them is observed). */
export function markVictims(state: PlannerState, ids: readonly InstanceId[]): PlannerState {
  const victims = [...new Set([...(state.victims ?? []), ...ids])];
  return victims.length === (state.victims?.length ?? 0) ? state : { ...state, victims };
}

/**
 * Keeps the victims `keep` says are still there: after a describe, those it lists; after the
 * tick's calls, those not destroyed. Without any left the field goes (the mode is over).
 */
export function keepVictims(state: PlannerState, keep: (id: InstanceId) => boolean): PlannerState {
  if (state.victims === undefined) return state;
  const victims = state.victims.filter(keep);
  if (victims.length === state.victims.length) return state;
  if (victims.length > 0) return { ...state, victims };
  const { victims: _done, ...rest } = state;
  return rest;
}

/**
 * Remembers what a complete describe listed, less what this tick's actions destroy (stored before
 * they run, so an instance Tend destroys is never mistaken for one that vanished), sorted so that
 * an unchanged set leaves the state, and so the journal, as it was.
 */
export function recordListed(
  state: PlannerState,
  listed: ReadonlySet<InstanceId>,
  actions: readonly Action[],
): PlannerState {
  const leaving = new Set(actions.flatMap((a) => (a.type === 'destroy' ? [a.instanceId] : [])));
  let staying = listed.size;
  for (const id of leaving) if (listed.has(id)) staying -= 1;
  // The same set as stored (the usual tick): nothing copied or sorted. Same size, every stored ID kept.
  const stored = state.listed;
  if (stored?.length === staying && stored.every((id) => listed.has(id) && !leaving.has(id))) return state;
  return { ...state, listed: [...listed].filter((id) => !leaving.has(id)).sort() };
}

/** The instances the stored list names and `listed` lacks: gone since the last complete look. */
export function missingSince(state: PlannerState, listed: ReadonlySet<InstanceId>): InstanceId[] {
  return (state.listed ?? []).filter((id) => !listed.has(id));
}

/** A new spec: same config → just take it; another config → a rollout that remembers the known-good spec. */
export function retarget(
  state: PlannerState,
  current: GroupSpec,
  next: GroupSpec,
  now: number,
): PlannerState {
  const from = configHash(current);
  const to = configHash(next);
  const rollout = state.rollout;
  if (from === to) {
    if (rollout?.targetSpec === undefined) return state;
    const { targetSpec: _restored, ...rest } = rollout;
    return { ...state, rollout: rest };
  }
  const knownGood = rollout?.state === 'running' ? (rollout.previousSpec ?? current) : current;
  return {
    ...state,
    paused: rollout?.state === 'paused' ? false : state.paused,
    rollout: { fromConfig: from, toConfig: to, previousSpec: knownGood, startedAt: now, state: 'running' },
  };
}

// The journal is a trust boundary (a file or etcd another version may have written): validate.
const specShape = z.custom<GroupSpec>((v) => typeof v === 'object' && v !== null && 'allocation' in v);
const stateSchema = z.object({
  paused: z.boolean(),
  rollout: z
    .object({
      fromConfig: z.string(),
      toConfig: z.string(),
      previousSpec: specShape.optional(),
      targetSpec: specShape.optional(),
      startedAt: z.number(),
      state: z.enum(['running', 'paused', 'rolling-back', 'done', 'failed']),
      reason: z.string().optional(),
    })
    .optional(),
  breaker: z.object({
    status: z.enum(['closed', 'open', 'half-open']),
    consecutiveFailures: z.number().int().min(0),
    openedAt: z.number().optional(),
    reason: z.string().optional(),
    probeIssued: z.boolean().optional(),
    lastFailure: z.string().optional(),
    earlyExits: z.number().int().min(0).optional(),
    retryAt: z.number().optional(),
    rejectedConfig: z.string().optional(),
  }),
  generations: z.record(z.string(), z.number().int()),
  victims: z.array(z.string()).optional(),
  listed: z.array(z.string()).optional(),
});

/** Reads persisted state; anything unreadable starts fresh rather than blocking the group. */
export function parsePlannerState(value: JsonValue | undefined): PlannerState {
  const parsed = stateSchema.safeParse(value);
  return parsed.success ? (stripUndefined(parsed.data) as PlannerState) : initialPlannerState;
}

export function plannerStateToJson(state: PlannerState): JsonValue {
  return JSON.parse(JSON.stringify(state)) as JsonValue;
}

function stripUndefined(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
