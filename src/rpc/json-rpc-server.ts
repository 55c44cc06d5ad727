import { chmod, lstat, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isMainThread } from 'node:worker_threads';
import type { Logger } from '../lib/index.js';
import { silentLogger } from '../lib/index.js';
import { TendError } from '../spi/index.js';
import { JSON_RPC_INVALID_REQUEST, type JsonRpcDispatcher } from './json-rpc-dispatcher.js';
import { checkSocketPath, removeStaleSocket } from './unix-socket.js';

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

export interface JsonRpcServerOptions {
  socketPath: string;
  dispatcher: JsonRpcDispatcher;
  /** Larger bodies are answered with HTTP 413 and a JSON-RPC error. Default 4 MiB. */
  maxBodyBytes?: number;
  /** A client that has not sent its whole body by then is cut off. Default 10 s. */
  bodyTimeoutMs?: number;
  /**
   * Documents answered to `GET` at their paths (InfraKit's `/info/api.json`), computed per
   * request. Every other `GET` is answered 405.
   */
  getRoutes?: Readonly<Record<string, () => unknown>>;
  logger?: Logger;
}

export interface JsonRpcServer {
  readonly socketPath: string;
  /**
   * Stops accepting, lets in-flight calls finish and closes every connection. When `signal`
   * aborts first, in-flight calls are aborted and their connections destroyed.
   */
  close(options?: { signal?: AbortSignal }): Promise<void>;
}

/** Serves a dispatcher as HTTP/1.1 `POST /` on a unix socket created mode 0600. */
export async function serveJsonRpc(options: JsonRpcServerOptions): Promise<JsonRpcServer> {
  const { socketPath, dispatcher } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const logger = (options.logger ?? silentLogger).child({ socket: socketPath });
  checkSocketPath(socketPath);
  if ((await removeStaleSocket(socketPath)) === 'removed') {
    logger.info('stale socket removed', { socketPath });
  }

  const inFlight = new Set<AbortController>();
  // While closing, answers carry `Connection: close` so no keep-alive connection outlives close().
  const state = { closing: false };
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const controller = new AbortController();
    inFlight.add(controller);
    res.once('close', () => {
      inFlight.delete(controller);
      // Answered in full: every handler has finished (answers are sent after them), so there is
      // nothing to abort — and no error (with its stack) to build on every call.
      if (res.writableFinished) return;
      // The caller went away: a handler still running has no one to answer.
      controller.abort(new TendError('unavailable', 'the caller closed the connection'));
    });
    handleRequest({
      req,
      res,
      dispatcher,
      maxBodyBytes,
      bodyTimeoutMs,
      signal: controller.signal,
      logger,
      isClosing: () => state.closing,
      getRoutes: options.getRoutes ?? {},
    });
  });
  // Our own body timer replaces Node's request timeout, whose checks run only every 30 s.
  server.requestTimeout = 0;
  // Headers get the same bound (Node checks it coarsely); never below 1 s, so tiny test values stay safe.
  server.headersTimeout = Math.max(bodyTimeoutMs, 1_000);

  await listen(server, socketPath);
  const { ino } = await lstat(socketPath);
  logger.debug('json-rpc server listening', { socketPath });

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close(closeOptions = {}) {
      closing ??= new Promise<void>((resolve) => {
        const force = () => {
          for (const controller of inFlight) controller.abort(new TendError('unavailable', 'server closing'));
          server.closeAllConnections();
        };
        if (closeOptions.signal?.aborted) force();
        else closeOptions.signal?.addEventListener('abort', force, { once: true });
        server.close(() => {
          closeOptions.signal?.removeEventListener('abort', force);
          resolve();
        });
        state.closing = true;
        server.closeIdleConnections();
      }).then(() => removeOwnSocket(socketPath, ino));
      return closing;
    },
  };
}

async function removeOwnSocket(socketPath: string, ino: number): Promise<void> {
  // Only our own file: a new server may already have taken over the path.
  const stats = await lstat(socketPath).catch(() => undefined);
  if (stats?.ino === ino) await unlink(socketPath).catch(() => undefined);
}

function listen(server: ReturnType<typeof createServer>, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      reject(
        new TendError('unavailable', `cannot listen on ${socketPath}: ${error.message}`, {
          cause: error,
          details: { socketPath },
        }),
      );
    });
    // The socket must never be reachable by others, not even between bind and chmod: narrow the
    // umask around the synchronous bind (workers may not change it; chmod below still applies).
    const previous = isMainThread ? process.umask(0o177) : undefined;
    try {
      server.listen(socketPath, () => {
        chmod(socketPath, 0o600).then(resolve, reject);
      });
    } finally {
      if (previous !== undefined) process.umask(previous);
    }
  });
}

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  dispatcher: JsonRpcDispatcher;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  signal: AbortSignal;
  logger: Logger;
  isClosing: () => boolean;
  getRoutes: Readonly<Record<string, () => unknown>>;
}

function handleRequest(ctx: RequestContext): void {
  const { req, res, maxBodyBytes } = ctx;
  const route = req.method === 'GET' ? getRoute(ctx.getRoutes, req.url) : undefined;
  if (route !== undefined) {
    reply(res, 200, JSON.stringify(route()));
    req.resume();
    return;
  }
  if (req.method !== 'POST') {
    const allow = Object.keys(ctx.getRoutes).length > 0 ? 'GET, POST' : 'POST';
    reply(res, 405, invalidRequest(`only POST is served, got ${req.method ?? '?'}`), { Allow: allow });
    req.resume();
    return;
  }
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > maxBodyBytes) {
    rejectBody(ctx, 413, `request body of ${declared} bytes exceeds the limit of ${maxBodyBytes} bytes`);
    return;
  }
  const chunks: Buffer[] = [];
  let received = 0;
  let done = false;
  const timer = setTimeout(() => {
    done = true;
    rejectBody(ctx, 408, `request body not received within ${ctx.bodyTimeoutMs} ms`);
  }, ctx.bodyTimeoutMs);
  req.on('data', (chunk: Buffer) => {
    if (done) return;
    received += chunk.length;
    if (received > maxBodyBytes) {
      done = true;
      clearTimeout(timer);
      rejectBody(ctx, 413, `request body exceeds the limit of ${maxBodyBytes} bytes`);
      return;
    }
    chunks.push(chunk);
  });
  req.once('error', () => {
    done = true;
    clearTimeout(timer);
  });
  req.once('end', () => {
    clearTimeout(timer);
    if (done) return;
    done = true;
    const body = Buffer.concat(chunks).toString('utf8');
    ctx.dispatcher.handle(body, { signal: ctx.signal }).then(
      (answer) => {
        const headers: Record<string, string> = ctx.isClosing() ? { Connection: 'close' } : {};
        if (answer === undefined) reply(res, 204, undefined, headers);
        else reply(res, 200, answer, headers);
      },
      // handle() never rejects; this is a guard against a future bug, not a code path.
      (error: unknown) => {
        ctx.logger.error('json-rpc dispatch failed', { error: String(error) });
        reply(res, 500, invalidRequest('internal error'));
      },
    );
  });
}

function getRoute(
  routes: Readonly<Record<string, () => unknown>>,
  url: string | undefined,
): (() => unknown) | undefined {
  const path = (url ?? '').split('?')[0] ?? '';
  return Object.hasOwn(routes, path) ? routes[path] : undefined;
}

/** Answers an unreadable body and closes the connection: what remains of it cannot be trusted. */
function rejectBody(ctx: RequestContext, status: number, message: string): void {
  ctx.logger.warn('json-rpc request rejected', { status, reason: message });
  reply(ctx.res, status, invalidRequest(message), { Connection: 'close' });
  ctx.res.once('finish', () => ctx.req.socket.destroy());
  // Drop what the client still sends until the answer is out.
  ctx.req.removeAllListeners('data');
  ctx.req.resume();
}

function invalidRequest(message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: JSON_RPC_INVALID_REQUEST, message } });
}

function reply(
  res: ServerResponse,
  status: number,
  body: string | undefined,
  headers: Record<string, string> = {},
) {
  if (res.headersSent || res.destroyed) return;
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res
    .writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      ...headers,
    })
    .end(body);
}
