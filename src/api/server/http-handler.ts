import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditEntry, Principal } from '../index.js';
import { serveEventStream } from './event-stream.js';
import {
  askLeader,
  type ForwardedResponse,
  isStandbyRead,
  LOCAL_HEDGE_MS,
  maybeForward,
  PREFER_LEADER_WAIT_MS,
} from './forward.js';
import type { HandlerContext } from './handler-context.js';
import { authenticate, authorize, isLoopbackHost } from './http-auth.js';
import { errorResponse, HttpError } from './http-errors.js';
import { matchLogsPath, serveLogs } from './http-logs.js';
import { intParam, matchRoute } from './http-routes.js';
import type { ManagerApi } from './manager-api.js';
import { preferLeader } from './prefer-leader.js';
import { type CachedBody, etagMatches, FLEET } from './read-cache.js';
import type { Route, RouteRequest } from './route.js';

/** Set for every write (non-GET route): what the audit line records. */
interface PendingAudit {
  principal: Principal;
  route: Route;
  params: Readonly<Record<string, string>>;
  target?: string | undefined;
  dryRun?: boolean;
  /** The route's answer, for the revision a commit made. */
  result?: unknown;
}

const UNAUTHENTICATED: Principal = { name: '(unauthenticated)', role: 'viewer' };

/** One request: path guard → dashboard → /metrics, the event stream, or a JSON route. */
export async function handleRequest(
  ctx: HandlerContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const method = request.method ?? 'GET';
  let audit: PendingAudit | undefined;
  try {
    const url = parseUrl(request.url ?? '/');
    const api = url.pathname.startsWith('/v1/') || url.pathname === '/metrics';
    if (!api && method === 'GET' && ctx.options.staticHandler !== undefined) {
      if (await ctx.options.staticHandler(request, response)) return;
    }
    if (url.pathname === '/metrics' || url.pathname === '/v1/events/stream') {
      if (method !== 'GET') throw methodNotAllowed(response, method, url.pathname, ['GET']);
      await serveSpecial(ctx, request, response, url);
      return;
    }
    const logs = matchLogsPath(url.pathname);
    if (logs !== undefined) {
      if (method !== 'GET') throw methodNotAllowed(response, method, url.pathname, ['GET']);
      await serveLogs(ctx, request, response, url, logs);
      return;
    }
    const match = matchRoute(method, url.pathname);
    if (match.kind === 'not-found') throw new HttpError(404, 'not_found', `no route ${url.pathname}`);
    if (match.kind === 'method-not-allowed')
      throw methodNotAllowed(response, method, url.pathname, match.allowed);
    const { route, params } = match;
    // A write refused for want of a valid token is audited too, as `(unauthenticated)`.
    if (route.method !== 'GET') audit = { principal: UNAUTHENTICATED, route, params };
    const principal = await authenticate({
      request,
      url,
      tokens: ctx.manager.services.tokens,
      queryToken: false,
      anonymousLoopback: false,
    });
    if (audit !== undefined) audit.principal = principal;
    authorize(principal, route.access);
    const raw = route.method === 'GET' ? undefined : await readBody(request, ctx.options.bodyLimitBytes);
    const body = parseJson(raw);
    if (audit !== undefined) {
      audit.target = params.name ?? nameOf(body);
      audit.dryRun = isDryRun(body);
    }
    const routeRequest = { params, query: url.searchParams, body, principal };
    if (route.method === 'GET' && route.placement !== 'leader') {
      const here = () => readHere(ctx.manager, route, routeRequest);
      const answer = isStandbyRead(ctx.manager, route, request)
        ? await preferLeader<ReadAnswer>({
            fromLeader: (signal) => askLeader(ctx.manager, route, request, url, signal),
            local: here,
            waitMs: PREFER_LEADER_WAIT_MS,
            hedgeMs: LOCAL_HEDGE_MS,
          })
        : await here();
      if ('cached' in answer) sendCached(request, response, answer.cached);
      else sendRaw(response, answer.status, answer.body);
      return;
    }
    const forwarded = await maybeForward(ctx.manager, route, request, url, raw);
    if (forwarded !== undefined) {
      // The leader executed it and wrote the audit line; writing one here too would count it twice.
      sendRaw(response, forwarded.status, forwarded.body);
      return;
    }
    const result = await route.handle(ctx.manager, routeRequest);
    if (audit !== undefined) {
      audit.result = result;
      await recordAudit(ctx, audit, undefined);
    }
    send(response, 200, result);
  } catch (error) {
    const { status, body, headers } = errorResponse(error);
    if (audit !== undefined) {
      await recordAudit(ctx, audit, body.error.kind);
    }
    if (response.headersSent) {
      response.destroy();
      return;
    }
    for (const [name, value] of Object.entries(headers ?? {})) response.setHeader(name, value);
    send(response, status, body);
  }
}

async function serveSpecial(
  ctx: HandlerContext,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  const services = ctx.manager.services;
  const metrics = url.pathname === '/metrics';
  const principal = await authenticate({
    request,
    url,
    tokens: services.tokens,
    queryToken: !metrics,
    anonymousLoopback: metrics && ctx.options.anonymousMetricsOnLoopback && isLoopbackHost(ctx.options.host),
  });
  authorize(principal, 'viewer');
  if (metrics) {
    const text = await services.metrics.render();
    response.writeHead(200, { 'content-type': services.metrics.contentType, 'cache-control': 'no-store' });
    response.end(text);
    return;
  }
  const q = url.searchParams;
  serveEventStream(request, response, {
    events: services.events,
    status: services.statusFeed,
    query: {
      after: intParam(q, 'after'),
      group: q.get('group') ?? undefined,
      instance: q.get('instance') ?? undefined,
    },
    statusDeltas: q.get('status') === 'delta',
    signal: ctx.closing,
  });
}

async function recordAudit(ctx: HandlerContext, pending: PendingAudit, errorKind: string | undefined) {
  const entry: AuditEntry = {
    at: new Date().toISOString(),
    who: pending.principal.name,
    role: pending.principal === UNAUTHENTICATED ? 'none' : pending.principal.role,
    what: `${pending.route.method} ${pending.route.path}`,
    action: auditAction(pending.route.path, pending.dryRun === true),
    ...(pending.params.id === undefined ? {} : { group: pending.params.id }),
    ...auditGroupAndRevision(pending.result),
    ...(pending.target === undefined ? {} : { target: pending.target }),
    result: errorKind === undefined ? 'ok' : 'error',
    ...(errorKind === undefined ? {} : { kind: errorKind }),
  };
  await ctx.manager.services.audit.append(entry).catch((error: unknown) => {
    ctx.log.error('audit append failed', { what: entry.what, error: String(error) });
  });
}

/**
 * Refuses dot segments and encoded separators anywhere in the raw path, before anything (the
 * dashboard included) sees it: `new URL` would quietly resolve `/v1/../../etc` to `/etc`.
 */
export function parseUrl(raw: string): URL {
  const [path = '/'] = raw.split('?', 1);
  if (!path.startsWith('/') || path.includes('\\')) throw badPath();
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw badPath();
    }
    if (decoded === '.' || decoded === '..' || /[/\\\0]/.test(decoded)) throw badPath();
  }
  return new URL(raw, 'http://manager.invalid');
}

function badPath(): HttpError {
  return new HttpError(400, 'invalid_spec', 'path not allowed: no dot segments or encoded separators');
}

function methodNotAllowed(
  response: ServerResponse,
  method: string,
  path: string,
  allowed: string[],
): HttpError {
  response.setHeader('allow', allowed.join(', '));
  return new HttpError(405, 'invalid_spec', `${method} is not allowed on ${path}`);
}

/** A read's answer: bytes shared through the read cache, or an answer as it came (from the leader). */
type ReadAnswer = { cached: CachedBody } | ForwardedResponse;

async function readHere(manager: ManagerApi, route: Route, request: RouteRequest): Promise<ReadAnswer> {
  const key = route.cacheKey?.(request.params);
  if (key === undefined) return { status: 200, body: JSON.stringify(await route.handle(manager, request)) };
  const scope = route.cacheScope?.(request.params) ?? FLEET;
  return { cached: await manager.services.reads.get(key, () => route.handle(manager, request), scope) };
}

function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () => new HttpError(413, 'too_large', `request body is larger than ${limit} bytes`);
  if (Number(request.headers['content-length'] ?? 0) > limit) {
    request.resume(); // drain, so the 413 gets through on a kept-alive connection
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      if (size > limit) return; // already refused; let the rest drain so the 413 gets through
      size += chunk.length;
      if (size > limit) {
        reject(tooLarge());
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

/** `/v1/groups/:id/rollout/undo` → `rollout undo`, `/v1/apply` → `apply` (`plan` for a dry run). */
export function auditAction(path: string, dryRun: boolean): string {
  const words = path
    .split('/')
    .slice(2)
    .filter((w) => w !== 'groups' && !w.startsWith(':'));
  const action = words.join(' ') || path;
  return action === 'apply' && dryRun ? 'plan' : action;
}

/** The group and revision of a one-group commit (`{groups: [{id, revision}]}` or `{revision}`). */
function auditGroupAndRevision(result: unknown): { group?: string; revision?: number } {
  if (typeof result !== 'object' || result === null) return {};
  const record = result as { groups?: unknown; revision?: unknown; dryRun?: unknown };
  if (typeof record.revision === 'number') return { revision: record.revision };
  if (record.dryRun === true || !Array.isArray(record.groups) || record.groups.length !== 1) return {};
  const [only] = record.groups as Array<{ id?: unknown; revision?: unknown }>;
  return {
    ...(typeof only?.id === 'string' ? { group: only.id } : {}),
    ...(typeof only?.revision === 'number' ? { revision: only.revision } : {}),
  };
}

function isDryRun(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'dryRun' in body && body.dryRun === true;
}

function nameOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('name' in body)) return undefined;
  return typeof body.name === 'string' ? body.name.slice(0, 64) : undefined;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  sendRaw(response, status, JSON.stringify(body));
}

/**
 * Shared bytes with their ETag; a client that already has them gets 304. Still `no-store`:
 * answers behind a bearer token stay out of every cache, a browser's disk cache included.
 */
function sendCached(request: IncomingMessage, response: ServerResponse, cached: CachedBody): void {
  if (etagMatches(request.headers['if-none-match'], cached.etag)) {
    response.writeHead(304, { etag: cached.etag, 'cache-control': 'no-store' });
    response.end();
    return;
  }
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': cached.body.length,
    'cache-control': 'no-store',
    etag: cached.etag,
  });
  response.end(cached.body);
}

function sendRaw(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}
