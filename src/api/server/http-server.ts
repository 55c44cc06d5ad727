import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TendError } from '../../spi/index.js';
import type { ApiServerOptions } from './handler-context.js';
import { handleRequest } from './http-handler.js';
import type { ManagerApi } from './manager-api.js';

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

/** The manager's API on node:http, or node:https with the given PEM files. */
export async function startApiServer(manager: ManagerApi, options: ApiServerOptions): Promise<ApiServer> {
  const log = options.logger.child({ component: 'api' });
  const closing = new AbortController();
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    handleRequest({ manager, options, log, closing: closing.signal }, request, response).catch(
      (error: unknown) => {
        log.error('request failed', { error: String(error) });
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
          response.end(JSON.stringify({ error: { kind: 'internal', message: 'internal error' } }));
        } else response.destroy();
      },
    );
  };
  const server =
    options.tls === undefined
      ? createServer(listener)
      : createHttpsServer(await readTls(options.tls), listener);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.tls === undefined ? 'http' : 'https'}://${host}:${address.port}`;
  log.info('api listening', { url });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort(); // ends event streams, which would otherwise hold close() open
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readTls(tls: { certFile: string; keyFile: string }): Promise<{ cert: Buffer; key: Buffer }> {
  try {
    return { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) };
  } catch (error) {
    throw new TendError(
      'invalid_spec',
      `cannot read the TLS certificate or key: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
