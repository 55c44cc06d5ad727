import { backoffDelay, type Clock, type Logger, type Random } from '../lib/index.js';
import {
  type GroupEvent,
  groupId,
  type Leadership,
  type LeaderTerm,
  TendError,
  toTendError,
} from '../spi/index.js';
import type { LeaderSession } from './leader-session.js';

export interface CampaignOptions {
  leadership: Leadership;
  clock: Clock;
  logger: Logger;
  /** Aborts when the manager stops. */
  signal: AbortSignal;
  /** One leader term; resolves true if it ended without an error of ours. */
  lead: (term: LeaderTerm) => Promise<boolean>;
  /** The backoff's jitter; Math.random unless a test seeds it. */
  random?: Random;
}

/** Campaigns, leads, and campaigns again until stopped; failures back off so nothing spins. */
export async function campaignLoop(options: CampaignOptions): Promise<void> {
  const stop = options.signal;
  let failures = 0;
  while (!stop.aborted) {
    let term: LeaderTerm;
    try {
      options.logger.info('campaigning');
      term = await options.leadership.campaign({ signal: stop });
    } catch (error) {
      if (stop.aborted) return;
      failures += 1;
      options.logger.warn('campaign failed', { error: toTendError(error).message });
      await backoff(options, failures);
      continue;
    }
    const clean = await options.lead(term);
    failures = clean ? 0 : failures + 1;
    if (!clean) await backoff(options, failures);
  }
}

/** Full-jitter exponential backoff (1 s, 2 s, … up to 30 s), so a manager that keeps failing does not spin. */
async function backoff(options: CampaignOptions, failures: number): Promise<void> {
  const delay = backoffDelay(failures, { baseMs: 500, capMs: 30_000, random: options.random ?? Math.random });
  try {
    await options.clock.sleep(delay, options.signal);
  } catch {
    // stopping
  }
}

export interface TermHooks {
  logger: Logger;
  /** The session is activated (fence raised): it may take writes now. */
  onActive: () => void;
  /** The term is over, before the session stops. */
  onEnded: (wasActive: boolean) => void;
}

/** Runs one activated leader term to its end; resolves true if it ended without an error of ours. */
export async function runTerm(session: LeaderSession, term: LeaderTerm, hooks: TermHooks): Promise<boolean> {
  hooks.logger.info('became leader', { epoch: term.epoch });
  let clean = true;
  let active = false;
  try {
    await session.activate();
    // Only an activated session takes writes: before the fence is raised this may not lead.
    active = true;
    hooks.onActive();
    await session.ended();
    if (TendError.is(session.signal.reason, 'fenced')) clean = false;
  } catch (error) {
    clean = false;
    const failure = toTendError(error);
    hooks.logger.error('leader term failed', {
      epoch: term.epoch,
      kind: failure.kind,
      error: failure.message,
    });
    session.fail(failure);
  } finally {
    hooks.onEnded(active);
    await session.stop();
    if (!term.signal.aborted) await term.resign().catch(() => undefined);
    hooks.logger.info('stepped down', { epoch: term.epoch });
  }
  return clean;
}

/** Manager-wide events carry no group: `groupId` is empty. */
export function leaderChangedEvent(
  name: string,
  epoch: number,
  change: 'elected' | 'stepped-down',
  at: number,
): GroupEvent {
  return {
    type: 'leader-changed',
    groupId: groupId(''),
    message: `${name} ${change === 'elected' ? 'became leader' : 'stepped down'} at epoch ${epoch}`,
    at,
    data: { leader: name, epoch, change },
  };
}
