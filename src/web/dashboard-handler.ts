import type { IncomingMessage, ServerResponse } from 'node:http';
import { TendError } from '../spi/index.js';
import { type DashboardAsset, loadDashboardAssets } from './dashboard-assets.js';

export interface DashboardOptions {
  /** Where the dashboard is mounted; `/` by default. Ends with `/` (added when missing). */
  basePath?: string;
}

/** Answers a request if it is for the dashboard (true), or leaves it alone (false). */
export type DashboardHandler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

/**
 * No inline script or style, nothing from another origin, no framing, no form submissions (the
 * login form is handled by script; should the script fail, the token never lands in a URL).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * The dashboard's files, read once into memory at creation. Only exact paths in that fixed map
 * are answered; anything else (including every traversal attempt) is "not mine" and the caller
 * answers it, normally with a 404. Files are small and unversioned, so browsers revalidate each
 * load (`no-cache`) and get a 304 while the ETag matches.
 */
export function createDashboardHandler(options: DashboardOptions = {}): DashboardHandler {
  const base = normalizeBasePath(options.basePath ?? '/');
  const files = loadDashboardAssets();
  const byPath = new Map<string, DashboardAsset>();
  for (const [name, asset] of files) byPath.set(base + name, asset);
  const index = files.get('index.html');
  if (index !== undefined) byPath.set(base, index);

  return async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const pathname = pathOf(request.url);
    if (pathname === undefined) return false;
    if (base !== '/' && pathname === base.slice(0, -1)) {
      // Relative asset URLs in index.html only resolve under the trailing slash.
      response.writeHead(308, { location: base, 'content-length': 0, ...SECURITY_HEADERS });
      response.end();
      return true;
    }
    const asset = byPath.get(pathname);
    if (asset === undefined) return false;
    const gzip = asset.gzip !== undefined && acceptsGzip(request) ? asset.gzip : undefined;
    const body = gzip?.body ?? asset.body;
    const etag = gzip?.etag ?? asset.etag;
    const headers = {
      ...SECURITY_HEADERS,
      'content-type': asset.contentType,
      'cache-control': 'no-cache',
      vary: 'accept-encoding',
      etag,
      ...(gzip === undefined ? {} : { 'content-encoding': 'gzip' }),
    };
    if (request.headers['if-none-match'] === etag) {
      response.writeHead(304, headers);
      response.end();
      return true;
    }
    response.writeHead(200, { ...headers, 'content-length': body.length });
    response.end(request.method === 'HEAD' ? undefined : body);
    return true;
  };
}

/** `Accept-Encoding` lists gzip without `q=0`. */
function acceptsGzip(request: IncomingMessage): boolean {
  const header = request.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.toLowerCase().split(';');
    if (coding?.trim() !== 'gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * The request's path as sent, query dropped, nothing decoded or resolved: only a byte-exact match
 * with the file map is served. (URL parsing would read `//host/app.js` as host + path.)
 */
function pathOf(url: string | undefined): string | undefined {
  const path = (url ?? '/').split('?', 1)[0] ?? '';
  return path.startsWith('/') ? path : undefined;
}

const BASE_PATH = /^\/(?:[A-Za-z0-9._-]+\/)*$/;

export function normalizeBasePath(basePath: string): string {
  const withSlash = basePath.endsWith('/') ? basePath : `${basePath}/`;
  if (!BASE_PATH.test(withSlash) || withSlash.split('/').some((s) => s === '.' || s === '..')) {
    throw new TendError('invalid_spec', `dashboard basePath: expected a path like /ui/, got ${basePath}`);
  }
  return withSlash;
}
