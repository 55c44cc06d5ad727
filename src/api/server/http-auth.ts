import type { IncomingMessage } from 'node:http';
import { roleAtLeast, type TokenStore } from '../../auth/index.js';
import type { Principal } from '../index.js';
import { HttpError } from './http-errors.js';
import type { Access } from './route.js';

/** Stands for an anonymous scrape of `/metrics` from loopback (see `authenticate`). */
export const ANONYMOUS: Principal = { name: 'anonymous', role: 'viewer' };

export interface AuthInput {
  request: IncomingMessage;
  url: URL;
  tokens: Pick<TokenStore, 'verify'>;
  /** The route takes `?token=` too: EventSource in a browser cannot set headers. */
  queryToken: boolean;
  /** `/metrics` without a token from a loopback peer, when the API itself is bound to loopback. */
  anonymousLoopback: boolean;
}

/**
 * Who is calling. No credentials → 401 with `WWW-Authenticate: Bearer`; an unknown or revoked
 * token → 401 too. Messages never repeat what was presented: a mistyped secret is still a secret.
 */
export async function authenticate(input: AuthInput): Promise<Principal> {
  const secret = presentedSecret(input);
  if (secret === undefined) {
    if (input.anonymousLoopback && isLoopbackPeer(input.request)) return ANONYMOUS;
    throw unauthorized('a bearer token is required (Authorization: Bearer TOKEN)');
  }
  const principal = await input.tokens.verify(secret);
  if (principal === undefined) throw unauthorized('the bearer token is not valid (unknown or revoked)');
  return principal;
}

/** Refuses a principal whose role is below what the route needs, naming the role needed. */
export function authorize(principal: Principal, access: Access): void {
  if (roleAtLeast(principal.role, access)) return;
  throw new HttpError(
    403,
    'forbidden',
    `this needs the ${access} role; token ${principal.name} is ${principal.role}`,
  );
}

function presentedSecret(input: AuthInput): string | undefined {
  const header = input.request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (match?.[1] === undefined) throw unauthorized('expected Authorization: Bearer TOKEN');
    return match[1];
  }
  if (input.queryToken) return input.url.searchParams.get('token') ?? undefined;
  return undefined;
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'unauthorized', message, { 'www-authenticate': 'Bearer realm="tend"' });
}

export function isLoopbackPeer(request: IncomingMessage): boolean {
  const address = request.socket.remoteAddress ?? '';
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** 127.0.0.0/8, ::1 and localhost. `0.0.0.0` and `::` are every interface, so not loopback. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || bare === '::ffff:127.0.0.1'
  );
}
