import { type Etcd3, EtcdLeaseInvalidError, type Lease } from 'etcd3';
import { z } from 'zod';
import { type Clock, connectEtcd, etcdCall, type Logger, silentLogger, systemClock } from '../lib/index.js';
import {
  type CallOptions,
  type LeaderInfo,
  type Leadership,
  type LeaderTerm,
  TendError,
} from '../spi/index.js';
import { campaignCancelled, type HeldTerm, OwnTerms } from './term.js';

export interface EtcdLeadershipOptions {
  endpoints: readonly string[];
  name: string;
  address?: string;
  /** Lease TTL: a dead leader is replaced about this long after it stopped renewing (default 2). */
  ttlSeconds?: number;
  /** The key whose holder leads (default `tend/leader`); all candidates must agree on it. */
  electionKey?: string;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Leadership by a lease-bound key in etcd (a plain lease + transaction rather than etcd3's
 * Election helper, whose loss detection waits 2 × TTL). The key is created only if absent, so its
 * create revision — the epoch — grows with each new leader. The leader renews its lease every
 * TTL/4 and ends its term when etcd says the lease is gone, when the key is no longer its own, or
 * when no renewal has been acknowledged for TTL minus a margin (it may be expiring on the server).
 */
export class EtcdLeadership implements Leadership {
  private readonly client: Etcd3;
  private readonly endpoints: readonly string[];
  private readonly name: string;
  private readonly address: string | undefined;
  private readonly ttlSeconds: number;
  private readonly key: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly terms = new OwnTerms();

  constructor(options: EtcdLeadershipOptions) {
    this.endpoints = options.endpoints;
    this.name = options.name;
    this.address = options.address;
    this.ttlSeconds = options.ttlSeconds ?? 2;
    if (!Number.isInteger(this.ttlSeconds) || this.ttlSeconds < 1) {
      throw new TendError(
        'invalid_spec',
        `etcd leadership: ttlSeconds must be a whole number ≥ 1, got ${this.ttlSeconds}`,
      );
    }
    this.key = options.electionKey ?? 'tend/leader';
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ component: 'leadership', backend: 'etcd' });
    this.client = connectEtcd({ endpoints: options.endpoints, requestTimeoutMs: this.roundMs() * 2 });
  }

  async campaign(options: CallOptions = {}): Promise<LeaderTerm> {
    const signal = this.terms.campaignSignal(options.signal);
    for (;;) {
      if (signal.aborted) throw campaignCancelled(`on ${this.key} by ${this.name}`, signal.reason);
      try {
        const current = await this.call('read the election key', () => this.client.get(this.key).exec());
        if (current.kvs.length === 0) {
          const term = await this.tryTakeSeat();
          if (term !== undefined) return term;
        }
      } catch (error) {
        this.logger.warn('campaign attempt failed', { error: String(error) });
      }
      // Polling rather than a watch: a few cheap reads a second, and nothing to re-establish.
      await this.clock.sleep(Math.min(250, this.roundMs()), signal).catch(() => undefined);
    }
  }

  async leader(): Promise<LeaderInfo | undefined> {
    const response = await this.call('read the election key', () => this.client.get(this.key).exec());
    const kv = response.kvs[0];
    if (kv === undefined) return undefined;
    const value = parseLeaderRecord(kv.value.toString('utf8'));
    if (value === undefined) {
      throw new TendError('internal', `etcd key ${this.key} does not hold a leader record`, {
        details: { key: this.key },
      });
    }
    const info: LeaderInfo = { name: value.name, epoch: Number(kv.create_revision) };
    if (typeof value.address === 'string') info.address = value.address;
    return info;
  }

  async close(): Promise<void> {
    await this.terms.close(new TendError('not_leader', `etcd leadership of ${this.name} closed`));
    this.client.close();
  }

  /** One keepalive round; several fit in a TTL so one lost round does not cost the term. */
  private roundMs(): number {
    return (this.ttlSeconds * 1000) / 4;
  }

  /** The term ends this long before the lease could expire on the server. */
  private marginMs(): number {
    return Math.min(250, this.roundMs() / 2);
  }

  private async tryTakeSeat(): Promise<HeldTerm | undefined> {
    const lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: false });
    lease.on('lost', () => undefined);
    // The lease can run out no sooner than TTL after we asked for it.
    const askedAt = this.clock.now();
    try {
      const id = await this.call('grant a lease', () => lease.grant());
      const record = JSON.stringify(
        this.address === undefined ? { name: this.name } : { name: this.name, address: this.address },
      );
      const result = await this.call('take the election key', () =>
        this.client
          .if(this.key, 'Create', '==', 0)
          .then(this.client.put(this.key).value(record).lease(id))
          .commit(),
      );
      if (!result.succeeded) {
        await this.revoke(lease);
        return undefined;
      }
      return this.startTerm(Number(result.header.revision), lease, id, askedAt);
    } catch (error) {
      await this.revoke(lease);
      throw error;
    }
  }

  private startTerm(epoch: number, lease: Lease, leaseId: string, askedAt: number): HeldTerm {
    const term = this.terms.start({
      epoch,
      clock: this.clock,
      deadline: askedAt + this.ttlSeconds * 1000 - this.marginMs(),
      renew: (held) => this.renewLoop(held, lease, leaseId),
      release: () => this.revoke(lease),
    });
    this.logger.info('became leader', { name: this.name, epoch, key: this.key });
    return term;
  }

  private async renewLoop(term: HeldTerm, lease: Lease, leaseId: string): Promise<void> {
    while (!term.ended) {
      try {
        await this.clock.sleep(this.roundMs(), term.signal);
      } catch {
        return;
      }
      const sentAt = this.clock.now();
      try {
        const response = await this.call('renew the lease', () =>
          lease.keepaliveOnce({ deadline: new Date(Date.now() + this.roundMs() * 2) }),
        );
        term.extendDeadline(sentAt + Number(response.TTL) * 1000 - this.marginMs());
        const kv = (await this.call('read the election key', () => this.client.get(this.key).exec())).kvs[0];
        if (kv === undefined || Number(kv.create_revision) !== term.epoch || kv.lease !== leaseId) {
          term.end(`term ${term.epoch} deposed: ${this.key} is no longer held by ${this.name}'s lease`);
        }
      } catch (error) {
        if (lease.revoked() || (error instanceof TendError && error.cause instanceof EtcdLeaseInvalidError)) {
          term.end(`term ${term.epoch} lost: etcd reports the lease gone`);
        } else {
          // Transient: the next round may get through; the deadline ends the term if none does.
          this.logger.warn('lease renewal failed', { epoch: term.epoch, error: String(error) });
        }
      }
    }
  }

  private async revoke(lease: Lease): Promise<void> {
    try {
      await this.call('revoke the lease', () => lease.revoke());
    } catch (error) {
      // It expires on its own within the TTL.
      this.logger.warn('could not revoke lease', { error: String(error) });
    }
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return etcdCall(`etcd leadership ${this.key}: ${what}`, this.endpoints, this.roundMs() * 4, fn);
  }
}

/** What a candidate writes under the election key: its name, and its API address if it has one. */
const leaderRecord = z.object({ name: z.string(), address: z.string().optional() });

function parseLeaderRecord(text: string): z.infer<typeof leaderRecord> | undefined {
  try {
    const parsed = leaderRecord.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
