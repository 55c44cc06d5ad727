import { connect } from 'node:net';
import { TendError } from '../../../spi/index.js';

/**
 * Sends one ZooKeeper four-letter command (`ruok`, `srvr`…) and resolves with the whole answer;
 * the server closes the connection when done. Bounded by `timeoutMs` and by `signal`.
 */
export function fourLetter(
  target: { host: string; port: number },
  command: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const where = `${target.host}:${target.port}`;
    const chunks: Buffer[] = [];
    const socket = connect({ host: target.host, port: target.port });
    const fail = (message: string, kind: 'timeout' | 'unavailable', cause?: unknown) => {
      socket.destroy();
      cleanup();
      reject(new TendError(kind, `zookeeper flavor: ${command} to ${where}: ${message}`, { cause }));
    };
    const timer = setTimeout(
      () => fail(`no answer within ${options.timeoutMs} ms`, 'timeout'),
      options.timeoutMs,
    );
    const onAbort = () => fail('aborted', 'timeout', options.signal?.reason);
    const cleanup = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('connect', () => socket.end(command));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => fail(error.message, 'unavailable', error));
    socket.on('close', () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** The `Mode:` line of a `srvr` answer: leader, follower, standalone, observer… */
export function modeOf(srvr: string): string | undefined {
  return /^Mode:\s*(\S+)/m.exec(srvr)?.[1];
}
