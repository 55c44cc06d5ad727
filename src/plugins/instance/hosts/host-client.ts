import { z } from 'zod';
import { shellQuote } from '../../../lib/index.js';
import { type Tags, TendError } from '../../../spi/index.js';
import type { PoolHost } from './config.js';
import {
  claimScript,
  initScript,
  labelScript,
  logsScript,
  readScript,
  releaseScript,
} from './host-scripts.js';
import type { KnownHosts } from './known-hosts.js';
import { type SshResult, sshExec } from './ssh-exec.js';

/** What a claim on a host says; read back from the host, so checked like any outside input. */
export const claimRecordSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  host: z.string(),
  op: z.string().optional(),
  logicalId: z.string().optional(),
  tags: z.record(z.string(), z.string()),
  claimedAt: z.number(),
});
export type ClaimRecord = z.infer<typeof claimRecordSchema>;

export type HostRead =
  | { state: 'free' }
  | { state: 'claimed'; record: ClaimRecord; init: 'running' | number; health?: number }
  /** A claim whose record is missing or unreadable: not free, and not one of Tend's instances. */
  | { state: 'broken'; detail: string };

export interface HostTimeouts {
  connectTimeoutMs: number;
  describeTimeoutMs: number;
  initTimeoutMs: number;
  resetTimeoutMs: number;
}

/** The plugin's calls to one host: each a fresh SSH connection running one script. */
export class HostClient {
  readonly host: PoolHost;
  readonly claimDir: string;
  private readonly key: Buffer;
  private readonly known: KnownHosts;
  private readonly timeouts: HostTimeouts;

  constructor(o: {
    host: PoolHost;
    key: Buffer;
    known: KnownHosts;
    claimDir: string;
    timeouts: HostTimeouts;
  }) {
    this.host = o.host;
    this.key = o.key;
    this.known = o.known;
    this.claimDir = o.host.claimDir ?? o.claimDir;
    this.timeouts = o.timeouts;
  }

  async read(signal?: AbortSignal): Promise<HostRead> {
    const lines = (await this.run(readScript, [], '', this.timeouts.describeTimeoutMs, signal)).split('\n');
    const [first = ''] = lines;
    if (first === 'free') return { state: 'free' };
    if (!first.startsWith('claim ')) return { state: 'broken', detail: first || 'no answer' };
    const record = this.parseRecord(first.slice('claim '.length));
    if (record === undefined) return { state: 'broken', detail: 'claim.json is not a Tend claim record' };
    const init = lines.find((l) => l.startsWith('init '))?.slice('init '.length) ?? 'running';
    const health = lines.find((l) => l.startsWith('health '))?.slice('health '.length);
    const read: HostRead = { state: 'claimed', record, init: init === 'running' ? 'running' : Number(init) };
    if (health !== undefined) read.health = Number(health);
    return read;
  }

  /** Claims the host for `record`, or says who holds it. */
  async claim(
    record: ClaimRecord,
    init: string,
    healthCheck: string | undefined,
    signal?: AbortSignal,
  ): Promise<{ claimed: true } | { claimed: false; holder?: ClaimRecord }> {
    const health = healthCheck === undefined || healthCheck === '' ? [] : healthCheck.split('\n');
    const stdin = [JSON.stringify(record), String(health.length), ...health, init].join('\n');
    const out = await this.run(claimScript, [record.id], stdin, this.timeouts.describeTimeoutMs, signal);
    if (out === 'claimed') return { claimed: true };
    if (out.startsWith('taken')) {
      const holder = this.parseRecord(out.slice('taken'.length).trim());
      return holder === undefined ? { claimed: false } : { claimed: false, holder };
    }
    throw this.failed('claim', out);
  }

  /** Starts the claim's Init (once) and, with `wait`, waits for its exit code. */
  async init(id: string, wait: boolean, signal?: AbortSignal): Promise<number | 'lost' | 'started'> {
    const timeout = wait ? this.timeouts.initTimeoutMs : this.timeouts.describeTimeoutMs;
    const out = await this.run(initScript, [id, wait ? '1' : '0'], '', timeout, signal);
    if (out === 'lost' || out === 'started') return out;
    if (out.startsWith('exit ')) return Number(out.slice('exit '.length));
    throw this.failed('init', out);
  }

  async release(
    id: string,
    resetScript: string,
    signal?: AbortSignal,
  ): Promise<'absent' | 'released' | number> {
    const out = await this.run(releaseScript, [id], resetScript, this.timeouts.resetTimeoutMs, signal);
    if (out === 'absent' || out === 'released') return out;
    if (out.startsWith('reset-failed ')) return Number(out.slice('reset-failed '.length));
    throw this.failed('release', out);
  }

  async label(record: ClaimRecord, signal?: AbortSignal): Promise<boolean> {
    const out = await this.run(
      labelScript,
      [record.id],
      `${JSON.stringify(record)}\n`,
      this.timeouts.describeTimeoutMs,
      signal,
    );
    if (out === 'labeled') return true;
    if (out === 'absent') return false;
    throw this.failed('label', out);
  }

  async logs(id: string, tailBytes: number, signal?: AbortSignal): Promise<string | undefined> {
    const result = await this.exec(
      logsScript,
      [id, String(tailBytes)],
      '',
      this.timeouts.describeTimeoutMs,
      signal,
    );
    if (result.stdout.startsWith('log\n')) return result.stdout.slice('log\n'.length);
    if (result.stdout.trim() === 'absent') return undefined;
    throw this.failed('logs', result.stdout.trim());
  }

  private parseRecord(text: string): ClaimRecord | undefined {
    try {
      const parsed = claimRecordSchema.safeParse(JSON.parse(text));
      return parsed.success && parsed.data.host === this.host.name ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  private failed(what: string, out: string): TendError {
    return new TendError(
      'unavailable',
      `host ${this.host.name}: ${what} failed: ${out.slice(0, 300) || 'no answer'}`,
    );
  }

  private async run(script: string, args: string[], stdin: string, timeoutMs: number, signal?: AbortSignal) {
    return (await this.exec(script, args, stdin, timeoutMs, signal)).stdout.trim();
  }

  private async exec(
    script: string,
    args: string[],
    stdin: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<SshResult> {
    const command = ['sh', '-c', script, 'tend', this.claimDir, ...args].map(shellQuote).join(' ');
    const result = await sshExec(
      {
        name: this.host.name,
        address: this.host.address,
        port: this.host.port,
        user: this.host.user,
        privateKey: this.key,
      },
      this.known,
      { command, stdin, connectTimeoutMs: this.timeouts.connectTimeoutMs, timeoutMs, signal },
    );
    if (result.code !== 0) {
      throw new TendError(
        'unavailable',
        `host ${this.host.name}: script exited ${result.code}: ${result.stderr.trim().slice(-300)}`,
      );
    }
    return result;
  }
}

/** Tags of a record as the describe answer carries them. */
export function recordTags(record: ClaimRecord): Tags {
  return { ...record.tags };
}
