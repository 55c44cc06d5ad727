import type Docker from 'dockerode';
import type { Clock, Logger } from '../../../lib/index.js';
import { statusCode } from '../../../lib/index.js';
import type { LabelStore } from './label-store.js';

export interface ReaperOptions {
  docker: Docker;
  labels: LabelStore;
  logger: Logger;
  clock: Clock;
  /** A `created` container younger than this may be a provision in progress. Default 10 min. */
  createdGraceMs?: number;
  timeoutMs?: number;
}

const DEAD_STATES = new Set(['exited', 'dead']);

/** A container in this engine state has stopped for good (unless someone restarts it by hand). */
export function isDeadState(state: string): boolean {
  return DEAD_STATES.has(state);
}

/**
 * Removes Tend's containers that stopped running. Describe reports only live containers, and
 * nobody else would ever remove the dead ones, so without this every crash would leak a
 * container (and its disk). Removals run in the background, one per container at a time, and
 * `close()` waits for them.
 */
export class Reaper {
  private readonly options: Required<ReaperOptions>;
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(options: ReaperOptions) {
    this.options = { createdGraceMs: 10 * 60_000, timeoutMs: 15_000, ...options };
  }

  /** Removes `container` in the background when it is dead, or a stale never-started leftover. */
  consider(container: Docker.ContainerInfo): void {
    const createdMs = container.Created * 1000;
    const stale =
      container.State === 'created' && this.options.clock.now() - createdMs >= this.options.createdGraceMs;
    if (!DEAD_STATES.has(container.State) && !stale) return;
    void this.removeNow(container.Id, `state ${container.State}`);
  }

  /** Removes `id` and waits, joining a background removal of it already under way. Never throws. */
  removeNow(id: string, reason: string): Promise<void> {
    const running = this.inFlight.get(id);
    if (running !== undefined) return running;
    const job = this.remove(id, reason).finally(() => {
      this.inFlight.delete(id);
    });
    this.inFlight.set(id, job);
    return job;
  }

  /** Force-removes one container; never throws (a failure is logged and retried next describe). */
  async remove(id: string, reason: string): Promise<void> {
    const { docker, labels, logger, timeoutMs } = this.options;
    try {
      await docker.getContainer(id).remove({
        force: true,
        v: true,
        abortSignal: AbortSignal.timeout(timeoutMs),
      } as Docker.ContainerRemoveOptions);
      logger.info('container removed', { instance: id, reason });
    } catch (error) {
      const status = statusCode(error);
      // 404: already gone; 409: removal already in progress elsewhere.
      if (status !== 404 && status !== 409) {
        logger.warn('container removal failed', { instance: id, reason, error: String(error) });
        return;
      }
    }
    try {
      await labels.forget(id);
    } catch (error) {
      logger.warn('label overrides not updated', { instance: id, error: String(error) });
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
