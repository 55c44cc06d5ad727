import { type LeaderInfo, TendError } from '../spi/index.js';

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
