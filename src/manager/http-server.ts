import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../lib/index.js';
import { TendError } from '../spi/index.js';
import { FORWARDED_HEADER, forwardToLeader } from './forward.js';
import { authorize } from './http-auth.js';
import { errorResponse, HttpError } from './http-errors.js';
import { matchRoute, type Route } from './http-routes.js';
import type { Manager } from './manager.js';

export interface ApiServerOptions {
  host: string;
  port: number;
  bodyLimitBytes: number;
  logger: Logger;
}

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

/** The manager's JSON API on node:http. Routing is an exact table (see http-routes.ts). */
export async function startApiServer(manager: Manager, options: ApiServerOptions): Promise<ApiServer> {
  const log = options.logger.child({ component: 'api' });
  const server = createServer((request, response) => {
    handle(manager, options, request, response).catch((error: unknown) => {
      log.error('request failed', { error: String(error) });
      if (!response.headersSent)
        send(response, 500, { error: { kind: 'internal', message: 'internal error' } });
    });
  });
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
  const url = `http://${host}:${address.port}`;
  log.info('api listening', { url });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  manager: Manager,
  options: ApiServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  try {
    const url = new URL(request.url ?? '/', 'http://manager.invalid');
    const match = matchRoute(request.method ?? 'GET', url.pathname);
    if (match.kind === 'not-found') throw new HttpError(404, 'not_found', `no route ${url.pathname}`);
    if (match.kind === 'method-not-allowed') {
      response.setHeader('allow', match.allowed.join(', '));
      throw new HttpError(405, 'invalid_spec', `${request.method} is not allowed on ${url.pathname}`);
    }
    authorize(request, match.route.access);
    const raw = match.route.method === 'POST' ? await readBody(request, options.bodyLimitBytes) : undefined;
    const forwarded = await maybeForward(manager, match.route, request, url, raw);
    if (forwarded !== undefined) {
      sendRaw(response, forwarded.status, forwarded.body);
      return;
    }
    const result = await match.route.handle(manager, {
      params: match.params,
      query: url.searchParams,
      body: parseJson(raw),
    });
    send(response, 200, result);
  } catch (error) {
    const { status, body } = errorResponse(error);
    send(response, status, body);
  }
}

/** A standby hands leader work to the leader; a forwarded request is never forwarded again. */
async function maybeForward(
  manager: Manager,
  route: Route,
  request: IncomingMessage,
  url: URL,
  raw: string | undefined,
): Promise<{ status: number; body: string } | undefined> {
  if (route.placement === 'local' || manager.isLeader()) return undefined;
  const alreadyForwarded = request.headers[FORWARDED_HEADER] !== undefined;
  const leader = alreadyForwarded ? undefined : await manager.leaderInfo();
  if (leader === undefined || leader.name === manager.name) {
    if (route.placement === 'prefer-leader') return undefined;
    throw new TendError(
      'not_leader',
      leader === undefined
        ? `${manager.name} is not the leader and no leader is known`
        : 'leadership is changing',
      { details: leader === undefined ? {} : { leader } },
    );
  }
  try {
    return await forwardToLeader(
      leader,
      {
        method: route.method,
        path: url.pathname + url.search,
        body: raw,
        authorization: request.headers.authorization,
      },
      manager.name,
    );
  } catch (error) {
    if (route.placement === 'prefer-leader') return undefined;
    throw error;
  }
}

function readBody(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      if (size > limit) return; // already refused; let the rest drain so the 413 gets through
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, 'invalid_spec', `request body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseJson(raw: string | undefined): unknown {
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'invalid_spec', 'request body is not valid JSON');
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  sendRaw(response, status, JSON.stringify(body));
}

function sendRaw(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}
