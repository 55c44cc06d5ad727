import type { CallOptions } from './types.js';

export interface LeaderInfo {
  name: string;
  /** Where the leader's API listens, so a standby can forward or point there. */
  address?: string;
  epoch: number;
}

/** Held while this manager leads. `signal` aborts the moment leadership is lost. */
export interface LeaderTerm {
  epoch: number;
  signal: AbortSignal;
  resign(): Promise<void>;
}

/**
 * Decides which manager acts. The epoch grows with every change of leader, so a deposed
 * leader's writes can be fenced.
 */
export interface Leadership {
  /** Resolves when this manager becomes leader (rejects with `timeout` if `options.signal` aborts). */
  campaign(options?: CallOptions): Promise<LeaderTerm>;
  /** The current leader as this backend sees it, or undefined when there is none. */
  leader(): Promise<LeaderInfo | undefined>;
  close(): Promise<void>;
}
