import { Client } from 'ssh2';
import { TendError } from '../../../spi/index.js';
import type { KnownHosts } from './known-hosts.js';

export interface SshTarget {
  name: string;
  address: string;
  port: number;
  user: string;
  privateKey: Buffer;
}

export interface SshRun {
  /** Run by the login shell of `user`; the script itself comes on stdin when given. */
  command: string;
  stdin?: string;
  /** Bound on connect + handshake: past it the host counts as unreachable. */
  connectTimeoutMs: number;
  /** Bound on the whole call. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Output beyond this is cut (the tail is kept): logs of long scripts stay on the host. */
const OUTPUT_CAP = 1 << 20;

/**
 * One command on one host over a fresh connection, the host key checked against `known`.
 * Rejects with `unavailable` when the host cannot be reached or refuses the key exchange,
 * `timeout` when the command outlives `timeoutMs`, `invalid_spec` when the host key is unknown.
 */
export function sshExec(target: SshTarget, known: KnownHosts, run: SshRun): Promise<SshResult> {
  return new Promise<SshResult>((resolve, reject) => {
    const client = new Client();
    let keyRefused = false;
    let settled = false;
    const finish = (error: TendError | undefined, result?: SshResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
      client.end();
      client.destroy();
      if (error !== undefined) reject(error);
      else if (result !== undefined) resolve(result);
    };
    const where = `host ${target.name} (${target.user}@${target.address}:${target.port})`;
    const timer = setTimeout(
      () => finish(new TendError('timeout', `${where}: no answer within ${run.timeoutMs} ms`)),
      run.timeoutMs,
    );
    const onAbort = () => finish(new TendError('timeout', `${where}: caller gave up`));
    run.signal?.addEventListener('abort', onAbort, { once: true });
    if (run.signal?.aborted === true) onAbort();
    client.on('error', (error: Error & { level?: string }) => {
      if (keyRefused) {
        finish(
          new TendError(
            'invalid_spec',
            `${where}: host key not in the known-hosts file; refusing to connect`,
          ),
        );
        return;
      }
      // Refused, reset, handshake timeout: the host does not answer, which is not "absent".
      finish(new TendError('unavailable', `${where}: ${error.message}`, { cause: error }));
    });
    client.on('ready', () => {
      client.exec(run.command, (error, stream) => {
        if (error !== undefined) {
          finish(new TendError('unavailable', `${where}: exec failed: ${error.message}`, { cause: error }));
          return;
        }
        let stdout = '';
        let stderr = '';
        stream.on('data', (chunk: Buffer) => {
          stdout = (stdout + chunk.toString('utf8')).slice(-OUTPUT_CAP);
        });
        stream.stderr.on('data', (chunk: Buffer) => {
          stderr = (stderr + chunk.toString('utf8')).slice(-OUTPUT_CAP);
        });
        stream.on('close', (code: number | null) => finish(undefined, { code: code ?? -1, stdout, stderr }));
        stream.end(run.stdin ?? '');
      });
    });
    client.connect({
      host: target.address,
      port: target.port,
      username: target.user,
      privateKey: target.privateKey,
      readyTimeout: run.connectTimeoutMs,
      hostVerifier: (key: Buffer) => {
        const ok = known.trusts(target.address, target.port, key);
        if (!ok) keyRefused = true;
        return ok;
      },
    });
  });
}
