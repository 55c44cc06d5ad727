import type { IncomingMessage } from 'node:http';
import { type LeaderInfo, TendError } from '../../spi/index.js';
import type { ManagerApi } from './manager-api.js';
import type { Route } from './route.js';

/** Set on a forwarded request, so a manager that is not the leader either never forwards it twice. */
export const FORWARDED_HEADER = 'x-tend-forwarded-by';

export interface ForwardRequest {
  method: string;
  /** Path with query string. */
  path: string;
  body: string | undefined;
  authorization: string | undefined;
}

export interface ForwardedResponse {
  status: number;
  body: string;
}

/** Normalises a leader's advertised address into a base URL. */
export function leaderUrl(leader: LeaderInfo): string | undefined {
  const address = leader.address;
  if (address === undefined || address === '') return undefined;
  return (/^https?:\/\//.test(address) ? address : `http://${address}`).replace(/\/+$/, '');
}

/** Replays a request on the leader and hands back its answer unchanged. */
export async function forwardToLeader(
  leader: LeaderInfo,
  request: ForwardRequest,
  selfName: string,
  /** Ends the wait for a leader that does not answer (frozen, partitioned): never unbounded. */
  signal?: AbortSignal,
): Promise<ForwardedResponse> {
  const base = leaderUrl(leader);
  if (base === undefined) {
    throw new TendError('not_leader', `the leader ${leader.name} advertises no address`, {
      details: { leader },
    });
  }
  const headers: Record<string, string> = { [FORWARDED_HEADER]: selfName };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.authorization !== undefined) headers.authorization = request.authorization;
  try {
    const response = await fetch(`${base}${request.path}`, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      ...(signal === undefined ? {} : { signal }),
    });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    throw new TendError('unavailable', `the leader ${leader.name} at ${base} is unreachable`, {
      cause: error,
      details: { leader },
    });
  }
}

/**
 * On a read a standby could answer itself (`prefer-leader`): how long the leader's answer is
 * waited for, leader lookup included, and when the standby starts its own answer from the store
 * meanwhile. With the status's own 250 ms for backend reads and a token check of at most 100 ms,
 * a standby answers in about 600 ms whatever the leader and the store do.
 */
export const LEADER_LOOKUP_WAIT_MS = 200;
export const PREFER_LEADER_WAIT_MS = 500;
export const LOCAL_HEDGE_MS = 200;
/** A forwarded write to a leader that never answers fails as `unavailable` after this. */
export const FORWARD_LIMIT_MS = 30_000;

/** A `prefer-leader` read on a standby, not itself forwarded (a forward is never forwarded again). */
export function isStandbyRead(manager: ManagerApi, route: Route, request: IncomingMessage): boolean {
  return (
    route.placement === 'prefer-leader' &&
    !manager.isLeader() &&
    request.headers[FORWARDED_HEADER] === undefined
  );
}

/** The leader's answer to a read, or undefined when no other manager is known to lead. */
export async function askLeader(
  manager: ManagerApi,
  route: Route,
  request: IncomingMessage,
  url: URL,
  signal: AbortSignal,
): Promise<ForwardedResponse | undefined> {
  // A paused leadership backend gets LEADER_LOOKUP_WAIT_MS; then the leader last known is asked.
  const leader = await manager.leaderInfoWithin(LEADER_LOOKUP_WAIT_MS);
  if (leader === undefined || leader.name === manager.name || signal.aborted) return undefined;
  return replay({ manager, leader, route, request, url, raw: undefined, signal });
}

/** The caller's own Authorization goes along: the leader checks the token (and audits) again. */
function replay(input: {
  manager: ManagerApi;
  leader: LeaderInfo;
  route: Route;
  request: IncomingMessage;
  url: URL;
  raw: string | undefined;
  signal: AbortSignal;
}): Promise<ForwardedResponse> {
  const { route, url } = input;
  const forwarded = {
    method: route.method,
    path: url.pathname + url.search,
    body: input.raw,
    authorization: input.request.headers.authorization,
  };
  return forwardToLeader(input.leader, forwarded, input.manager.name, input.signal);
}

/** A standby hands leader work (writes) to the leader; a forwarded request is never forwarded again. */
export async function maybeForward(
  manager: ManagerApi,
  route: Route,
  request: IncomingMessage,
  url: URL,
  raw: string | undefined,
): Promise<ForwardedResponse | undefined> {
  if (route.placement !== 'leader' || manager.isLeader()) return undefined;
  const alreadyForwarded = request.headers[FORWARDED_HEADER] !== undefined;
  const leader = alreadyForwarded ? undefined : await manager.leaderInfo();
  if (leader === undefined || leader.name === manager.name) {
    throw new TendError(
      'not_leader',
      leader === undefined
        ? `${manager.name} is not the leader and no leader is known`
        : 'leadership is changing',
      { details: leader === undefined ? {} : { leader } },
    );
  }
  return replay({ manager, leader, route, request, url, raw, signal: AbortSignal.timeout(FORWARD_LIMIT_MS) });
}
