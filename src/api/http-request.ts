import type { IncomingMessage } from 'node:http';
import { TendError, toTendError } from '../spi/index.js';

// One HTTP exchange over node:http(s). The CLI's every call goes through here: `fetch` would load
// undici on first use, which costs a `tend status` more time than the whole answer takes.

export interface HttpExchange {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** PEM certificates to trust for https, instead of the system's (a self-signed manager). */
  ca?: string;
}

/** Resolves with the response once its head has arrived; the body is the caller's to read. */
export async function sendRequest(exchange: HttpExchange): Promise<IncomingMessage> {
  const { method, url, headers, body, signal, ca } = exchange;
  const transport = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const request = transport.request(url, {
      method,
      headers:
        body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      ...(signal === undefined ? {} : { signal }),
      ...(ca === undefined || url.protocol !== 'https:' ? {} : { ca }),
    });
    request.once('response', resolve);
    request.once('error', (error) => {
      if (signal?.aborted === true) reject(toTendError(signal.reason ?? error, 'timeout'));
      else reject(error);
    });
    request.end(body);
  });
}

/** Reads a whole body as text, refusing one past `maxBytes` (a status of 100,000 instances is MBs). */
export async function readBody(response: IncomingMessage, maxBytes = 256 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) {
      response.destroy();
      throw new TendError('unavailable', `the manager's answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
