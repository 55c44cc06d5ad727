import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import {
  type Clock,
  type Cluster,
  clusterRead,
  clusterWrite,
  type Logger,
  localNode,
  type SeatRecord,
  silentLogger,
  systemClock,
} from '../lib/index.js';
import {
  type CallOptions,
  type LeaderInfo,
  type Leadership,
  type LeaderTerm,
  TendError,
} from '../spi/index.js';
import { campaignCancelled, type HeldTerm, OwnTerms } from './term.js';

export interface SwarmLeadershipOptions {
  /** The local engine: this manager may lead only while that engine's node is the Raft leader. */
  docker: Docker;
  /**
   * Client for the node event stream, which is long-lived and often idle, so it must have no idle
   * timeout (a client's `timeout` is one: the stream would break, and the term end, after that
   * long without a node event). Default: a client without one on `docker`'s socket.
   */
  events?: Docker;
  name: string;
  address?: string;
  /** Cluster spec label holding the seat (default `tend.leader`); all candidates must agree. */
  seatLabel?: string;
  /** How often the leader checks its node and renews its seat, and standbys look (default 500). */
  pollMs?: number;
  /** A seat on the leader's own node unchanged this long (by our clock) is stale (default 5000). */
  staleMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Leadership observed from a Docker swarm. A manager leads while (1) its local engine's node is
 * the swarm's Raft leader (`ManagerStatus.Leader`), and (2) it holds the seat: a label on the
 * swarm's cluster object, written by compare-and-swap on the cluster's version. (2) keeps two
 * Tend processes on the same engine from both leading; a seat whose node is not the Raft leader
 * any more is free at once, one on the leader's node once it stops being renewed.
 *
 * The epoch is the cluster object's `Version.Index` read right after the seat write. SwarmKit sets
 * every object's version to the Raft index of the store update that wrote it, one counter for the
 * whole store, and every write is committed through the (single) Raft leader in log order; so a
 * later seat write, which must have seen ours (CAS), gets a strictly higher index.
 *
 * The term ends at once when the engine stops answering, its node is no longer leader, or the
 * seat no longer carries this term's token: checked every `pollMs` and on every node event
 * (the event stream breaking counts as losing the engine).
 */
export class SwarmLeadership implements Leadership {
  private readonly docker: Docker;
  private readonly events: Docker;
  private readonly name: string;
  private readonly address: string | undefined;
  private readonly label: string;
  private readonly pollMs: number;
  private readonly staleMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly terms = new OwnTerms();
  /** The last seat record we saw and when (our clock): staleness is observed, not compared. */
  private seen: { raw: string; at: number } | undefined;

  constructor(options: SwarmLeadershipOptions) {
    this.docker = options.docker;
    this.events = options.events ?? untimedClient(options.docker);
    this.name = options.name;
    this.address = options.address;
    this.label = options.seatLabel ?? 'tend.leader';
    this.pollMs = options.pollMs ?? 500;
    this.staleMs = options.staleMs ?? 5000;
    if (!(this.pollMs > 0) || !(this.staleMs > this.pollMs * 2)) {
      throw new TendError(
        'invalid_spec',
        `swarm leadership: need pollMs > 0 and staleMs > 2 × pollMs, got ${this.pollMs} and ${this.staleMs}`,
      );
    }
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ component: 'leadership', backend: 'swarm' });
  }

  async campaign(options: CallOptions = {}): Promise<LeaderTerm> {
    const signal = this.terms.campaignSignal(options.signal);
    for (;;) {
      if (signal.aborted)
        throw campaignCancelled(`on swarm label ${this.label} by ${this.name}`, signal.reason);
      try {
        const term = await this.tryTakeSeat();
        if (term !== undefined) return term;
      } catch (error) {
        this.logger.warn('campaign attempt failed', { error: String(error) });
      }
      await this.clock.sleep(this.pollMs, signal).catch(() => undefined);
    }
  }

  async leader(): Promise<LeaderInfo | undefined> {
    const seat = (await clusterRead(this.docker, this.label)).seat;
    if (seat === undefined || seat.epoch === 0) return undefined;
    const info: LeaderInfo = { name: seat.name, epoch: seat.epoch };
    if (seat.address !== undefined) info.address = seat.address;
    return info;
  }

  async close(): Promise<void> {
    await this.terms.close(new TendError('not_leader', `swarm leadership of ${this.name} closed`));
  }

  private async tryTakeSeat(): Promise<HeldTerm | undefined> {
    const node = await localNode(this.docker);
    if (!node.leader) return undefined;
    const cluster = await clusterRead(this.docker, this.label);
    if (!this.seatFree(cluster, node.id)) return undefined;
    // A standby on this node takes a seat no sooner than staleMs after it last saw it change.
    const askedAt = this.clock.now();
    const token = randomBytes(8).toString('hex');
    const record: SeatRecord = { name: this.name, node: node.id, token, epoch: 0, beat: 0 };
    if (this.address !== undefined) record.address = this.address;
    if (!(await clusterWrite(this.docker, cluster, this.label, record))) return undefined;
    // The epoch: the cluster's version after our write (see the class comment), then recorded
    // in the seat so leader() can report it; both writes are compare-and-swap.
    const after = await clusterRead(this.docker, this.label);
    if (after.seat?.token !== token) return undefined;
    record.epoch = after.index;
    if (!(await clusterWrite(this.docker, after, this.label, record))) return undefined;
    const term = this.terms.start({
      epoch: record.epoch,
      clock: this.clock,
      deadline: askedAt + this.staleMs - this.pollMs,
      renew: (held) => this.holdLoop(held, record),
      release: () => this.release(token),
    });
    this.logger.info('became leader', { name: this.name, epoch: record.epoch, node: node.id });
    return term;
  }

  private seatFree(cluster: Cluster, nodeId: string): boolean {
    const seat = cluster.seat;
    if (seat === undefined) return true;
    // Its holder's engine is no longer the Raft leader: that holder is deposed (and fenced).
    if (seat.node !== nodeId) return true;
    const now = this.clock.now();
    const seen = this.seen?.raw === cluster.seatRaw ? this.seen : { raw: cluster.seatRaw ?? '', at: now };
    this.seen = seen;
    return now - (seen?.at ?? now) >= this.staleMs;
  }

  private async holdLoop(term: HeldTerm, record: SeatRecord): Promise<void> {
    const stopEvents = this.watchEvents(term, record);
    let lastBeat = this.clock.now();
    try {
      while (!term.ended) {
        const reason = await this.check(record);
        if (reason !== undefined) {
          term.end(`term ${term.epoch} lost: ${reason}`);
          return;
        }
        if (this.clock.now() - lastBeat >= this.staleMs / 4) {
          const sentAt = this.clock.now();
          lastBeat = sentAt;
          // A renewal that does not get through is retried next round; the deadline ends the term
          // before a standby on this node could call the seat stale.
          const renewed = await this.renew(record).catch((error: unknown) => {
            this.logger.warn('seat renewal failed', { epoch: term.epoch, error: String(error) });
            return false;
          });
          if (renewed) term.extendDeadline(sentAt + this.staleMs - this.pollMs);
        }
        await this.clock.sleep(this.pollMs, term.signal).catch(() => undefined);
      }
    } finally {
      stopEvents();
    }
  }

  /** Why this term is over, or undefined while it holds. */
  private async check(record: SeatRecord): Promise<string | undefined> {
    try {
      const node = await localNode(this.docker);
      if (node.id !== record.node || !node.leader) return `node ${record.node} is no longer the swarm leader`;
      const seat = (await clusterRead(this.docker, this.label)).seat;
      if (seat?.token !== record.token) return `the seat ${this.label} is no longer held by ${this.name}`;
      return undefined;
    } catch (error) {
      return `the local engine did not answer (${String(error)})`;
    }
  }

  private async renew(record: SeatRecord): Promise<boolean> {
    const cluster = await clusterRead(this.docker, this.label);
    if (cluster.seat?.token !== record.token) return false;
    record.beat += 1;
    return clusterWrite(this.docker, cluster, this.label, record);
  }

  /** Node events wake a check at once; the stream failing means the engine is gone. */
  private watchEvents(term: HeldTerm, record: SeatRecord): () => void {
    let stream: NodeJS.ReadableStream | undefined;
    let stopped = false;
    const lost = (why: string) => {
      if (!stopped) term.end(`term ${term.epoch} lost: engine event stream ${why}`);
    };
    this.events
      .getEvents({ filters: { type: ['node'] } })
      .then((s) => {
        stream = s;
        if (stopped) (s as unknown as { destroy(): void }).destroy();
        s.on('end', () => lost('ended'));
        s.on('error', (error) => lost(`failed: ${String(error)}`));
        s.on('data', () => {
          void this.check(record).then((reason) => {
            if (reason !== undefined) term.end(`term ${term.epoch} lost: ${reason}`);
          });
        });
      })
      .catch((error: unknown) => lost(`could not open: ${String(error)}`));
    return () => {
      stopped = true;
      (stream as unknown as { destroy?(): void } | undefined)?.destroy?.();
    };
  }

  private async release(token: string): Promise<void> {
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        const cluster = await clusterRead(this.docker, this.label);
        if (cluster.seat?.token !== token) return;
        if (await clusterWrite(this.docker, cluster, this.label, undefined)) return;
      }
    } catch (error) {
      // The seat goes stale, or free as soon as another node leads.
      this.logger.warn('could not release the seat', { error: String(error) });
    }
  }
}

/** A client on the same engine socket as `docker` but with no idle timeout (for event streams). */
function untimedClient(docker: Docker): Docker {
  const socketPath = (docker as unknown as { modem?: { socketPath?: unknown } }).modem?.socketPath;
  return typeof socketPath === 'string' ? new Docker({ socketPath }) : docker;
}
