import type { Logger } from '../../../lib/index.js';
import { mapLimited } from '../../../lib/index.js';
import { TendError, toTendError } from '../../../spi/index.js';
import type { HostsConfig } from './config.js';
import type { HostScan } from './describe-host.js';
import type { HostClient } from './host-client.js';
import type { LocalState } from './local-state.js';

/**
 * Reads the pool for describe and provision, keeps the local cache of last-seen claims current,
 * and finishes destroys that were deferred while a host did not answer.
 */
export class PoolScanner {
  private readonly config: HostsConfig;
  private readonly clients: readonly HostClient[];
  private readonly state: LocalState;
  private readonly logger: Logger;
  /** Background releases of instances destroyed while their host was away, by host. */
  private readonly releases = new Map<string, Promise<void>>();
  private closed = false;

  constructor(o: { config: HostsConfig; clients: readonly HostClient[]; state: LocalState; logger: Logger }) {
    this.config = o.config;
    this.clients = o.clients;
    this.state = o.state;
    this.logger = o.logger;
  }

  /** Waits for background releases; no new ones start. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.releases.values());
  }

  /**
   * Reads every host, a bounded number at a time, each within its own timeout. Too many hosts
   * not answering makes it a failed observation: acting on it would replace half the pool.
   */
  async scan(signal: AbortSignal | undefined): Promise<HostScan[]> {
    const scans = await mapLimited(this.clients, this.config.describeConcurrency, async (client) => {
      const scan: HostScan = { client };
      try {
        scan.read = await client.read(signal);
      } catch (error) {
        scan.error = toTendError(error, 'unavailable');
        const lastSeen = this.state.seen(client.host.name);
        if (lastSeen !== undefined) scan.lastSeen = lastSeen;
      }
      return scan;
    });
    if (signal?.aborted === true) throw new TendError('timeout', 'hosts plugin: describe aborted');
    const away = scans.filter((s) => s.error !== undefined);
    if (away.length > this.config.maxUnreachableFraction * scans.length) {
      const names = away.map((s) => `${s.client.host.name} (${s.error?.message ?? ''})`).slice(0, 5);
      throw new TendError(
        'unavailable',
        `hosts plugin: ${away.length} of ${scans.length} hosts did not answer: ${names.join('; ')}`,
      );
    }
    for (const scan of scans) if (scan.read !== undefined) this.remember(scan.client, scan.read);
    await this.state.flush();
    return scans;
  }

  /** Keeps the last claim seen per host; completes a destroy deferred while the host was away. */
  private remember(client: HostClient, read: NonNullable<HostScan['read']>): void {
    const name = client.host.name;
    const record = read.state === 'claimed' ? read.record : undefined;
    this.state.setSeen(name, record);
    const releasing = this.state.releasing(name);
    if (releasing === undefined) return;
    if (record?.id !== releasing) {
      this.state.setReleasing(name, undefined);
      return;
    }
    if (this.releases.has(name) || this.closed) return;
    const release = (async () => {
      try {
        const outcome = await client.release(releasing, this.config.resetScript);
        if (typeof outcome === 'number') throw new Error(`reset script exited ${outcome}`);
        this.state.setReleasing(name, undefined);
        if (this.state.seen(name)?.id === releasing) this.state.setSeen(name, undefined);
        await this.state.flush();
        this.logger.info('deferred release done', { instance: releasing, host: name });
      } catch (error) {
        this.logger.warn('deferred release failed; retried on a later describe', {
          instance: releasing,
          host: name,
          error: String(error),
        });
      } finally {
        this.releases.delete(name);
      }
    })();
    this.releases.set(name, release);
  }
}
