import { type Clock, type Logger, silentLogger, systemClock } from '../lib/index.js';
import { JsonRpcClient, pluginSocketPath } from '../rpc/index.js';
import {
  type CallOptions,
  type LeaderInfo,
  type Leadership,
  type LeaderTerm,
  TendError,
} from '../spi/index.js';
import { campaignCancelled, type HeldTerm, OwnTerms } from './term.js';

export const LEADERSHIP_API = { Name: 'Leadership', Version: '0.1.0' } as const;

export interface PluginLeadershipOptions {
  pluginDir: string;
  /** The plugin's socket name in the plugin dir. */
  plugin: string;
  name: string;
  address?: string;
  /** How often to ask (default 500 ms). */
  pollMs?: number;
  /**
   * The term ends when no answer confirmed it for this long (default 2000 ms). A plugin must not
   * name another leader before it has gone this long without hearing from the holder.
   */
  leaseMs?: number;
  clock?: Clock;
  logger?: Logger;
}

interface Status {
  Leader: { Name: string; Address?: string; Epoch: number } | null;
}

/**
 * Leadership observed from an external process (docs/protocol.md, "Leadership"): Consul, ZooKeeper
 * or an in-house system elects; Tend only asks `Leadership.Status` whether this manager leads and
 * with which epoch (the plugin's, which must grow with every change of leader). The term ends at
 * once when an answer names someone else or another epoch, or a call fails; and when no answer
 * confirmed it for `leaseMs` (a paused manager wakes up deposed).
 */
export class PluginLeadership implements Leadership {
  private readonly client: JsonRpcClient;
  private readonly name: string;
  private readonly address: string | undefined;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly terms = new OwnTerms();
  private handshaken: Promise<void> | undefined;

  constructor(options: PluginLeadershipOptions) {
    this.name = options.name;
    this.address = options.address;
    this.pollMs = options.pollMs ?? 500;
    this.leaseMs = options.leaseMs ?? 2000;
    if (!(this.pollMs > 0) || !(this.leaseMs > this.pollMs)) {
      throw new TendError(
        'invalid_spec',
        `plugin leadership: need pollMs > 0 and leaseMs > pollMs, got ${this.pollMs} and ${this.leaseMs}`,
      );
    }
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ component: 'leadership', backend: 'plugin' });
    this.client = new JsonRpcClient({
      socketPath: pluginSocketPath(options.pluginDir, options.plugin),
      pluginName: options.plugin,
      timeoutMs: Math.max(this.pollMs, this.leaseMs / 2),
    });
  }

  async campaign(options: CallOptions = {}): Promise<LeaderTerm> {
    const signal = this.terms.campaignSignal(options.signal);
    for (;;) {
      if (signal.aborted)
        throw campaignCancelled(`by ${this.name} through plugin ${this.client.pluginName}`, signal.reason);
      try {
        const sentAt = this.clock.now();
        const leader = (await this.status(true)).Leader;
        if (leader?.Name === this.name) return this.startTerm(leader.Epoch, sentAt);
      } catch (error) {
        this.logger.warn('campaign attempt failed', { error: String(error) });
      }
      await this.clock.sleep(this.pollMs, signal).catch(() => undefined);
    }
  }

  async leader(): Promise<LeaderInfo | undefined> {
    const leader = (await this.status(false)).Leader;
    if (leader === null) return undefined;
    const info: LeaderInfo = { name: leader.Name, epoch: leader.Epoch };
    if (leader.Address !== undefined) info.address = leader.Address;
    return info;
  }

  async close(): Promise<void> {
    await this.terms.close(new TendError('not_leader', `plugin leadership of ${this.name} closed`));
  }

  private startTerm(epoch: number, sentAt: number): HeldTerm {
    const term = this.terms.start({
      epoch,
      clock: this.clock,
      deadline: sentAt + this.leaseMs,
      renew: (held) => this.holdLoop(held),
      release: async () => {
        await this.client
          .call('Leadership.Resign', { Name: this.name, Epoch: epoch })
          .catch((error: unknown) => this.logger.warn('resign call failed', { error: String(error) }));
      },
    });
    this.logger.info('became leader', { name: this.name, epoch });
    return term;
  }

  private async holdLoop(term: HeldTerm): Promise<void> {
    while (!term.ended) {
      try {
        await this.clock.sleep(this.pollMs, term.signal);
      } catch {
        return;
      }
      const sentAt = this.clock.now();
      try {
        const leader = (await this.status(false)).Leader;
        if (leader?.Name !== this.name || leader.Epoch !== term.epoch) {
          const now = leader === null ? 'no leader' : `${leader.Name} at epoch ${leader.Epoch}`;
          term.end(`term ${term.epoch} deposed: plugin ${this.client.pluginName} names ${now}`);
          return;
        }
        term.extendDeadline(sentAt + this.leaseMs);
      } catch (error) {
        term.end(
          `term ${term.epoch} lost: plugin ${this.client.pluginName} did not answer (${String(error)})`,
        );
        return;
      }
    }
  }

  private async status(campaign: boolean): Promise<Status> {
    this.handshaken ??= this.handshake().catch((error: unknown) => {
      this.handshaken = undefined;
      throw error;
    });
    await this.handshaken;
    const params: Record<string, unknown> = { Name: this.name, Campaign: campaign };
    if (this.address !== undefined) params.Address = this.address;
    return parseStatus(this.client.pluginName, await this.client.call('Leadership.Status', params));
  }

  private async handshake(): Promise<void> {
    const answer = (await this.client.call('Handshake.Implements', {})) as { APIs?: unknown };
    const apis = Array.isArray(answer?.APIs)
      ? (answer.APIs as Array<{ Name?: unknown; Version?: unknown }>)
      : [];
    const found = apis.find((api) => api.Name === LEADERSHIP_API.Name);
    if (found?.Version !== LEADERSHIP_API.Version) {
      const has = apis.map((api) => `${String(api.Name)}/${String(api.Version)}`).join(', ') || 'nothing';
      throw new TendError(
        'unavailable',
        `plugin ${this.client.pluginName} implements ${has}, but leadership needs ${LEADERSHIP_API.Name}/${LEADERSHIP_API.Version}`,
      );
    }
  }
}

function parseStatus(plugin: string, value: unknown): Status {
  const leader = (value as { Leader?: unknown } | null)?.Leader;
  if (leader === null || leader === undefined) return { Leader: null };
  const l = leader as { Name?: unknown; Address?: unknown; Epoch?: unknown };
  if (typeof l.Name !== 'string' || !Number.isSafeInteger(l.Epoch) || (l.Epoch as number) < 1) {
    throw new TendError(
      'internal',
      `plugin ${plugin}: Leadership.Status answered an invalid Leader ${JSON.stringify(leader).slice(0, 200)} (want {Name, Epoch ≥ 1})`,
    );
  }
  const out: Status = { Leader: { Name: l.Name, Epoch: l.Epoch as number } };
  if (typeof l.Address === 'string' && out.Leader !== null) out.Leader.Address = l.Address;
  return out;
}
