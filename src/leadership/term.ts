import type { Clock } from '../lib/index.js';
import { type LeaderTerm, TendError } from '../spi/index.js';

export interface HeldTermOptions {
  epoch: number;
  /** Gives the seat back (release the file, revoke the lease); called once, after the abort. */
  release: () => Promise<void>;
}

/**
 * One term of leadership. It ends (its signal aborts) on resign, on deposition, or when the
 * backend's lease may have run out: a deadline that the backend pushes forward on each renewal.
 */
export class HeldTerm implements LeaderTerm {
  readonly epoch: number;
  private readonly controller = new AbortController();
  private readonly release: () => Promise<void>;
  private released: Promise<void> | undefined;
  private deadline = Number.POSITIVE_INFINITY;
  private clock: Clock | undefined;
  private readonly onResume = () => this.checkDeadline();

  constructor(options: HeldTermOptions) {
    this.epoch = options.epoch;
    this.release = options.release;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get ended(): boolean {
    return this.controller.signal.aborted;
  }

  /** Ends the term now; later calls keep the first reason. */
  end(reason: string): void {
    if (this.controller.signal.aborted) return;
    process.off('SIGCONT', this.onResume);
    this.controller.abort(new TendError('not_leader', reason, { details: { epoch: this.epoch } }));
  }

  async resign(): Promise<void> {
    this.end(`term ${this.epoch} resigned`);
    this.released ??= this.release();
    await this.released;
  }

  /**
   * Ends the term at `at` (clock time) unless extended first. Also checks on SIGCONT: a process
   * paused past its lease must see its term ended before its other timers run.
   */
  watchDeadline(clock: Clock, at: number): void {
    this.deadline = at;
    if (this.clock !== undefined) return;
    this.clock = clock;
    process.on('SIGCONT', this.onResume);
    void this.deadlineLoop(clock);
  }

  extendDeadline(at: number): void {
    if (at > this.deadline) this.deadline = at;
  }

  private checkDeadline(): void {
    if (this.clock !== undefined && this.clock.now() >= this.deadline) {
      this.end(`term ${this.epoch} lost: the lease was not renewed in time`);
    }
  }

  private async deadlineLoop(clock: Clock): Promise<void> {
    while (!this.ended) {
      const wait = this.deadline - clock.now();
      if (wait <= 0) {
        this.checkDeadline();
        return;
      }
      try {
        await clock.sleep(wait, this.signal);
      } catch {
        return;
      }
    }
  }
}

export interface StartTermOptions {
  epoch: number;
  clock: Clock;
  /** Clock time at which the term ends unless a renewal extends it first. */
  deadline: number;
  /** Keeps the seat while the term lasts; must return once the term's signal aborts. */
  renew: (term: HeldTerm) => Promise<void>;
  /** Gives the seat back; runs once, after `renew` has returned, so the two never race. */
  release: () => Promise<void>;
}

/**
 * The terms one backend holds, and its closing switch: `close()` must stop campaigns and resign
 * every held term, so each backend keeps the same bookkeeping — here, once.
 */
export class OwnTerms {
  private readonly closing = new AbortController();
  private readonly held = new Set<HeldTerm>();

  /** A campaign's signal: aborts when the caller's does or when the backend closes. */
  campaignSignal(signal: AbortSignal | undefined): AbortSignal {
    return AbortSignal.any([this.closing.signal, ...(signal ? [signal] : [])]);
  }

  start(options: StartTermOptions): HeldTerm {
    let renewals: Promise<void> = Promise.resolve();
    const term: HeldTerm = new HeldTerm({
      epoch: options.epoch,
      release: async () => {
        this.held.delete(term);
        await renewals;
        await options.release();
      },
    });
    this.held.add(term);
    term.watchDeadline(options.clock, options.deadline);
    renewals = options.renew(term);
    return term;
  }

  async close(reason: TendError): Promise<void> {
    this.closing.abort(reason);
    await Promise.all([...this.held].map((term) => term.resign()));
  }
}

export function campaignCancelled(what: string, reason: unknown): TendError {
  return new TendError('timeout', `campaign for leadership ${what} was cancelled`, { cause: reason });
}
