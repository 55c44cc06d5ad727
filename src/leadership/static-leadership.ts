import type { CallOptions, LeaderInfo, Leadership, LeaderTerm } from '../spi/index.js';
import { campaignCancelled, HeldTerm } from './term.js';

export interface StaticLeadershipOptions {
  name: string;
  address?: string;
}

/** The embedded default: a single manager that is always leader, at epoch 1. */
export class StaticLeadership implements Leadership {
  private readonly info: LeaderInfo;
  private term: HeldTerm | undefined;

  constructor(options: StaticLeadershipOptions) {
    this.info = { name: options.name, epoch: 1 };
    if (options.address !== undefined) this.info.address = options.address;
  }

  async campaign(options: CallOptions = {}): Promise<LeaderTerm> {
    if (options.signal?.aborted) throw campaignCancelled(`of ${this.info.name}`, options.signal.reason);
    const term = new HeldTerm({ epoch: 1, release: async () => {} });
    this.term = term;
    return term;
  }

  async leader(): Promise<LeaderInfo | undefined> {
    return { ...this.info };
  }

  async close(): Promise<void> {
    await this.term?.resign();
  }
}
