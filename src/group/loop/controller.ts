import { setMaxListeners } from 'node:events';
import { createBackoff, createRandom, silentLogger, systemClock } from '../../lib/index.js';
import { type InstanceId, TAG_GROUP, TendError } from '../../spi/index.js';
import { defaultPlanLimits } from '../plan/types.js';
import {
  DEFAULT_TICK_INTERVAL_MS,
  type GroupController,
  type GroupControllerOptions,
} from './controller-api.js';
import { directDescriber } from './describe-coalescer.js';
import { controllerLifecycle } from './lifecycle.js';
import { createPluginLimiter } from './limiter.js';
import { guardObserver } from './observer.js';
import { createReconciler, type TickResult } from './reconciler.js';
import { processLoopBusy, restAfterTick } from './rest.js';

/**
 * The reason a finished nap's timer is cancelled with: made once, since `abort()` without one
 * builds a DOMException with a stack each time (1,000 groups, one a second each).
 */
const NAP_OVER = new Error('nap over');

/** Failed rounds (a tick that failed or destroyed nothing) before an operator's destroy gives up. */
const DESTROY_ATTEMPTS = 10;

/**
 * Creates the reconcile loop of one group: a tick every `tickIntervalMs` (default 1 s), or at
 * once when the instance plugin's `watch` reports a change; after failures the pause grows with
 * full-jitter backoff. Aborting the signal given to `start` (leadership lost) stops every call.
 * Failed replacements are paced by the planner too (breaker/verdicts.ts): a crash loop's own exit
 * events would otherwise cut every pause short.
 */
export function createGroupController(options: GroupControllerOptions): GroupController {
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? silentLogger).child({ component: 'group', group: options.spec.id });
  const random = options.random ?? createRandom(Date.now());
  const tickIntervalMs = options.tickIntervalMs ?? DEFAULT_TICK_INTERVAL_MS;
  // On a virtual clock this process's loop says nothing about the time simulated: no measure.
  const loopBusy = options.loopBusy ?? (clock === systemClock ? processLoopBusy : () => 0);
  const limiter =
    options.limiter ?? createPluginLimiter({ ratePerSec: 50, burst: 50, concurrency: 32, clock });
  const reconciler = createReconciler({
    spec: options.spec,
    instancePlugin: options.instancePlugin,
    flavorPlugin: options.flavorPlugin,
    journal: options.journal,
    epoch: options.epoch,
    clock,
    logger,
    random,
    limiter,
    describer:
      options.describer ?? directDescriber({ plugin: options.instancePlugin, limiter, clock, random }),
    describeTimeoutMs: options.describeTimeoutMs ?? 10_000,
    planLimits: {
      breakerThreshold: options.breaker?.threshold ?? defaultPlanLimits.breakerThreshold,
      breakerCoolDownMs: options.breaker?.coolDownMs ?? defaultPlanLimits.breakerCoolDownMs,
      maxActionsPerTick: options.maxActionsPerTick ?? defaultPlanLimits.maxActionsPerTick,
    },
    onEvent: options.onEvent ?? (() => {}),
    onRollback: options.onRollback ?? (() => {}),
    observer: guardObserver(options.observer ?? {}, logger),
    ...(options.onFenced === undefined ? {} : { onFenced: options.onFenced }),
  });
  const lifecycle = controllerLifecycle();
  const backoff = createBackoff({ baseMs: tickIntervalMs, capMs: 30_000, random });
  // Every queued provider call listens on this signal; a thousand at once is normal here.
  const newInternal = () => {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    return controller;
  };
  let internal = newInternal();
  let loop: Promise<void> | undefined;
  let current: Promise<TickResult> | undefined;
  let wakePending = false;
  /** The watch said one of the group's instances changed: the next look goes out first. */
  let urgentPending = false;
  let wake: (() => void) | undefined;

  const requestTick = () => {
    wakePending = true;
    wake?.();
  };

  const tickOnce = (urgent = false): Promise<TickResult> => {
    if (current !== undefined) {
      wakePending = true; // a change arrived mid-tick: look again right after
      return current;
    }
    const running = reconciler.tick(internal.signal, { urgent }).finally(() => {
      current = undefined;
    });
    current = running;
    return running;
  };

  /**
   * `ms`, or with aligned ticks until the first multiple of the interval at least `least` from
   * now (`ms` for a wait that must be served in full, e.g. a backoff): a nap that ended between
   * multiples would describe alone.
   */
  const aligned = (ms: number, least = ms): number => {
    if (options.alignTicks !== true) return ms;
    const now = clock.now();
    return Math.ceil((now + Math.max(1, least)) / tickIntervalMs) * tickIntervalMs - now;
  };

  async function nap(ms: number): Promise<void> {
    // Already stopped (the term ended mid-tick): an abort listener added now would never fire.
    if (wakePending || internal.signal.aborted) return;
    const cancel = new AbortController();
    const stop = () => cancel.abort(NAP_OVER);
    internal.signal.addEventListener('abort', stop, { once: true });
    await new Promise<void>((resolve) => {
      wake = resolve;
      clock.sleep(ms, cancel.signal).then(resolve, resolve);
    });
    wake = undefined;
    cancel.abort(NAP_OVER);
    internal.signal.removeEventListener('abort', stop);
  }

  async function run(): Promise<void> {
    const signal = internal.signal;
    const unsubscribe = options.instancePlugin.watch?.((event) => {
      const owner = event.tags?.[TAG_GROUP];
      if (owner !== undefined && owner !== options.spec.id) return;
      if (event.type === 'gone') reconciler.noteGone(event.id);
      urgentPending = true;
      requestTick();
    });
    try {
      await reconciler.resolveIntents(signal).catch((error: unknown) => {
        logger.warn('open intents left for later', { error: String(error) });
      });
      while (!signal.aborted) {
        wakePending = false;
        const urgent = urgentPending;
        urgentPending = false;
        const tickStarted = clock.now();
        const result = await tickOnce(urgent).catch((error: unknown): TickResult => {
          logger.error('tick failed', { error: String(error) });
          return { acted: false, failed: true };
        });
        // The platform is back after an outage: the backoff it earned must not delay recovery.
        // Watch events need no reset: they cut the nap short already, and events our own
        // failing calls cause must not defeat the backoff.
        if (result.recovered === true) backoff.reset();
        if (result.failed) await nap(aligned(tickIntervalMs + backoff.next()));
        else {
          backoff.reset();
          // Rounds start an interval apart while the event loop has room (a tick's wait for the
          // fleet's merged describe no longer stretches the period); a busy loop gets a rest in
          // proportion, so ticks never run back to back (rest.ts).
          const rest = restAfterTick(tickIntervalMs, clock.now() - tickStarted, loopBusy());
          // Replacements held back by their backoff go as soon as it is over, not a tick later.
          if (options.alignTicks === true) {
            // A cloud plugin's groups tick in step: a plain pause ends at the next multiple of
            // the interval, a tick at every one, with the other groups (one merged describe).
            const untilRetry = result.retryAt === undefined ? tickIntervalMs : result.retryAt - clock.now();
            const pause = Math.max(0, Math.min(tickIntervalMs, untilRetry));
            await nap(aligned(pause, pause < tickIntervalMs ? pause : 0));
          } else {
            const untilRetry = result.retryAt === undefined ? rest : result.retryAt - clock.now();
            await nap(Math.max(0, Math.min(rest, untilRetry)));
          }
        }
      }
    } finally {
      unsubscribe?.();
    }
  }

  async function halt(): Promise<void> {
    internal.abort(new TendError('not_leader', 'group controller stopped'));
    await loop;
    await current?.catch(() => {});
  }

  return {
    get state() {
      return lifecycle.state;
    },
    start(signal) {
      lifecycle.to('running');
      const follow = () => internal.abort(signal.reason);
      if (signal.aborted) follow();
      else signal.addEventListener('abort', follow, { once: true });
      loop = run().finally(() => {
        // A group removed mid-term must not leave its listener on the term's signal.
        signal.removeEventListener('abort', follow);
        if (lifecycle.state === 'running') lifecycle.to('stopping');
        if (lifecycle.state === 'stopping') lifecycle.to('stopped');
      });
    },
    async stop() {
      if (lifecycle.state === 'created') return lifecycle.to('stopped');
      if (lifecycle.state === 'running') lifecycle.to('stopping');
      await halt();
      await reconciler.persist().catch(() => {});
    },
    update(spec) {
      reconciler.update(spec);
      requestTick();
    },
    pause() {
      reconciler.setPaused(true);
      requestTick();
    },
    resume() {
      reconciler.setPaused(false);
      requestTick();
    },
    status: () => reconciler.status(),
    summary: () => reconciler.summary(),
    instances: () => reconciler.instancesById(),
    instance: (id) => reconciler.instance(id),
    tick: async () => {
      await tickOnce();
    },
    async destroyAll(signal) {
      reconciler.setDestroying(true);
      if (lifecycle.state === 'running') lifecycle.to('stopping');
      await halt();
      internal = newInternal();
      if (signal !== undefined)
        signal.addEventListener('abort', () => internal.abort(signal.reason), { once: true });
      try {
        // The planner's destroy-all mode: each tick destroys what its describe found.
        await tickUntil(
          (result) => result.observed === 0,
          `could not destroy every instance of group ${options.spec.id}`,
        );
      } finally {
        if (lifecycle.state !== 'stopped') lifecycle.to('stopped');
      }
    },
    async destroyInstances(ids, destroyOptions = {}) {
      await reconciler.markVictims(ids);
      await destroyOptions.recorded?.();
      const wanted = new Set<InstanceId>(ids);
      await tickUntil(
        () => !reconciler.victims().some((id) => wanted.has(id)),
        `could not destroy ${ids.join(', ')} of group ${options.spec.id}; later ticks keep trying`,
      );
    },
  };

  /**
   * Runs ticks until `done`: at once after a tick that made progress (fewer instances than the
   * round before, no failure), after a backoff otherwise, giving up after DESTROY_ATTEMPTS of those.
   */
  async function tickUntil(done: (result: TickResult) => boolean, failure: string): Promise<void> {
    const wait = createBackoff({ baseMs: 500, capMs: 10_000, random });
    let before = Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < DESTROY_ATTEMPTS; ) {
      internal.signal.throwIfAborted();
      // A tick already running planned without what the caller just asked for: wait it out.
      await current?.catch(() => {});
      const result = await tickOnce();
      if (done(result)) return;
      const seen = result.observed ?? before;
      const progress = !result.failed && seen < before;
      before = seen;
      if (progress) continue;
      attempt += 1;
      await clock.sleep(wait.next(), internal.signal);
    }
    throw new TendError('unavailable', failure);
  }
}
