import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import {
  type Clock,
  FileLockTimeoutError,
  type Logger,
  readFileIfExists,
  silentLogger,
  systemClock,
  withFileLock,
  writeFileAtomic,
} from '../lib/index.js';
import {
  type CallOptions,
  type LeaderInfo,
  type Leadership,
  type LeaderTerm,
  TendError,
} from '../spi/index.js';
import { campaignCancelled, type HeldTerm, OwnTerms } from './term.js';

export interface FileLeadershipOptions {
  /** The shared file naming the leader; every candidate must use the same path. */
  file: string;
  name: string;
  address?: string;
  /** How often the leader renews and standbys look for a free seat. */
  pollIntervalMs: number;
  /** How long a renewal holds the seat (default 3 × pollIntervalMs). */
  leaseMs?: number;
  clock?: Clock;
  logger?: Logger;
}

const leaderFileSchema = z.object({
  name: z.string(),
  address: z.string().optional(),
  epoch: z.number().int().nonnegative(),
  /** Tells two incarnations of one name apart, so a restarted manager cannot adopt a live term. */
  holder: z.string(),
  renewedAt: z.number(),
  /** Clock time after which a standby may take over; 0 once resigned. */
  expiresAt: z.number(),
});
type LeaderFile = z.infer<typeof leaderFileSchema>;

type ReadResult =
  | { state: 'missing' }
  | { state: 'damaged'; error: TendError }
  | { state: 'ok'; record: LeaderFile };

/**
 * InfraKit-style leadership through a shared file, extended for real failover: the file holds
 * the leader's name, address, epoch and lease expiry. The leader renews its lease every poll; a
 * standby takes over (epoch + 1) once the lease has expired. Every read-modify-write of the file
 * runs under a lock file and replaces the file atomically, so a takeover is a compare-and-set.
 */
export class FileLeadership implements Leadership {
  private readonly file: string;
  private readonly name: string;
  private readonly address: string | undefined;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly terms = new OwnTerms();

  constructor(options: FileLeadershipOptions) {
    this.file = options.file;
    this.name = options.name;
    this.address = options.address;
    this.pollIntervalMs = options.pollIntervalMs;
    this.leaseMs = options.leaseMs ?? 3 * options.pollIntervalMs;
    if (this.leaseMs <= this.pollIntervalMs) {
      throw new TendError('invalid_spec', `file leadership ${this.file}: leaseMs must exceed pollIntervalMs`);
    }
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ component: 'leadership', backend: 'file' });
  }

  async campaign(options: CallOptions = {}): Promise<LeaderTerm> {
    const signal = this.terms.campaignSignal(options.signal);
    await mkdir(dirname(this.file), { recursive: true });
    let reportedDamage = false;
    for (;;) {
      if (signal.aborted) throw campaignCancelled(`in ${this.file} by ${this.name}`, signal.reason);
      const startedAt = this.clock.now();
      const holder = randomBytes(8).toString('hex');
      const outcome = await this.locked(async () => {
        const current = await this.read();
        if (current.state === 'damaged') return current;
        if (current.state === 'ok' && current.record.expiresAt > this.clock.now()) return current;
        const epoch = (current.state === 'ok' ? current.record.epoch : 0) + 1;
        await this.write({ epoch, holder, renewedAt: startedAt, expiresAt: startedAt + this.leaseMs });
        return { state: 'won' as const, epoch };
      }).catch((error: unknown) => ({ state: 'failed' as const, error }));
      if (outcome.state === 'won') return this.startTerm(outcome.epoch, holder, startedAt);
      if (outcome.state === 'damaged' && !reportedDamage) {
        reportedDamage = true;
        this.logger.error('leader file damaged; waiting for it to be repaired', {
          error: outcome.error.message,
        });
      }
      if (outcome.state === 'failed')
        this.logger.warn('campaign attempt failed', { error: String(outcome.error) });
      await this.clock.sleep(this.pollIntervalMs, signal).catch(() => undefined);
    }
  }

  async leader(): Promise<LeaderInfo | undefined> {
    const current = await this.read();
    if (current.state === 'damaged') throw current.error;
    if (current.state === 'missing' || current.record.expiresAt <= this.clock.now()) return undefined;
    const info: LeaderInfo = { name: current.record.name, epoch: current.record.epoch };
    if (current.record.address !== undefined) info.address = current.record.address;
    return info;
  }

  async close(): Promise<void> {
    await this.terms.close(new TendError('not_leader', `file leadership of ${this.name} closed`));
  }

  private startTerm(epoch: number, holder: string, renewedAt: number): HeldTerm {
    const term = this.terms.start({
      epoch,
      clock: this.clock,
      deadline: this.selfDeadline(renewedAt),
      renew: (held) => this.renewLoop(held, holder),
      release: () => this.release(epoch, holder),
    });
    this.logger.info('became leader', { name: this.name, epoch, file: this.file });
    return term;
  }

  /** Gives the seat back at once (expiry 0) so a standby need not wait out the lease. */
  private async release(epoch: number, holder: string): Promise<void> {
    await this.locked(async () => {
      const current = await this.read();
      if (current.state === 'ok' && current.record.holder === holder) {
        await this.write({ epoch, holder, renewedAt: this.clock.now(), expiresAt: 0 });
      }
    }).catch((error: unknown) => this.logger.warn('could not release leader file', { error: String(error) }));
  }

  /** The leader stops a margin before its lease ends, so it never acts while a standby may. */
  private selfDeadline(renewedAt: number): number {
    return renewedAt + this.leaseMs - Math.min(this.pollIntervalMs, this.leaseMs / 4);
  }

  private async renewLoop(term: HeldTerm, holder: string): Promise<void> {
    while (!term.ended) {
      try {
        await this.clock.sleep(this.pollIntervalMs, term.signal);
      } catch {
        return;
      }
      const startedAt = this.clock.now();
      try {
        const result = await this.locked(async () => {
          if (term.ended) return 'ended';
          const current = await this.read();
          if (current.state !== 'ok') return `the leader file is ${current.state}`;
          const { record } = current;
          if (record.holder !== holder || record.epoch !== term.epoch) {
            return `the leader file now names ${record.name} at epoch ${record.epoch}`;
          }
          await this.write({
            epoch: term.epoch,
            holder,
            renewedAt: startedAt,
            expiresAt: startedAt + this.leaseMs,
          });
          return 'renewed';
        });
        if (result === 'renewed') term.extendDeadline(this.selfDeadline(startedAt));
        else if (result !== 'ended') term.end(`term ${term.epoch} deposed: ${result}`);
      } catch (error) {
        term.end(`term ${term.epoch} lost: renewing ${this.file} failed (${String(error)})`);
      }
    }
  }

  private async read(): Promise<ReadResult> {
    const text = await readFileIfExists(this.file);
    if (text === undefined) return { state: 'missing' };
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      return { state: 'damaged', error: damaged(this.file, `not valid JSON (${String(error)})`) };
    }
    const result = leaderFileSchema.safeParse(raw);
    if (!result.success) return { state: 'damaged', error: damaged(this.file, result.error.message) };
    return { state: 'ok', record: result.data };
  }

  private async write(fields: Omit<LeaderFile, 'name' | 'address'>): Promise<void> {
    const record: LeaderFile = { name: this.name, ...fields };
    if (this.address !== undefined) record.address = this.address;
    await writeFileAtomic(this.file, `${JSON.stringify(record)}\n`, { mode: 0o644 });
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await withFileLock({ path: `${this.file}.lock`, timeoutMs: this.leaseMs }, fn);
    } catch (error) {
      if (error instanceof FileLockTimeoutError) {
        throw new TendError('unavailable', `file leadership: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
}

function damaged(file: string, problem: string): TendError {
  return new TendError('internal', `leader file ${file} is damaged: ${problem}`, { details: { file } });
}
