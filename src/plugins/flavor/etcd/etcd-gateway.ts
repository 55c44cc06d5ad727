import { TendError } from '../../../spi/index.js';

/** One member as etcd's member list reports it; `name` is empty until the member first starts. */
export interface EtcdMember {
  id: string;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
}

/**
 * The few etcd calls the flavor needs, over etcd's v3 JSON gateway (plain HTTP on the client
 * port): no gRPC channel to keep open, and every call is bounded by its own timeout.
 */
export interface EtcdGateway {
  /** The member's own `/health`: true when it is part of a cluster that has a leader. */
  health(clientUrl: string, signal?: AbortSignal): Promise<boolean>;
  memberList(clientUrl: string, signal?: AbortSignal): Promise<EtcdMember[]>;
  /** Adds an unstarted member; resolves to the member list after the change. */
  memberAdd(clientUrl: string, peerUrl: string, signal?: AbortSignal): Promise<EtcdMember[]>;
  memberRemove(clientUrl: string, id: string, signal?: AbortSignal): Promise<void>;
}

export interface EtcdGatewayOptions {
  /** Bound for each HTTP call. Default 2000 ms. */
  timeoutMs?: number;
  /** Injected in tests; the global `fetch` otherwise. */
  fetch?: typeof fetch;
}

export function createEtcdGateway(options: EtcdGatewayOptions = {}): EtcdGateway {
  const timeoutMs = options.timeoutMs ?? 2000;
  const doFetch = options.fetch ?? fetch;

  const call = async (url: string, init: RequestInit, signal?: AbortSignal): Promise<unknown> => {
    const bounded = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? bounded : AbortSignal.any([signal, bounded]);
    let response: Response;
    try {
      response = await doFetch(url, { ...init, signal: combined });
    } catch (error) {
      const kind = bounded.aborted ? 'timeout' : 'unavailable';
      const reason = bounded.aborted ? `no answer within ${timeoutMs} ms` : describeCause(error);
      throw new TendError(kind, `etcd flavor: ${init.method ?? 'GET'} ${url}: ${reason}`, { cause: error });
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const message =
        isRecord(body) && typeof body.message === 'string' ? body.message : `HTTP ${response.status}`;
      // 9 is gRPC FAILED_PRECONDITION: etcd's strict reconfiguration check refused the change.
      const kind = isRecord(body) && body.code === 9 ? 'conflict' : 'unavailable';
      throw new TendError(kind, `etcd flavor: ${init.method ?? 'GET'} ${url}: ${message}`);
    }
    return body;
  };

  const post = (clientUrl: string, path: string, body: unknown, signal?: AbortSignal) =>
    call(`${clientUrl}${path}`, { method: 'POST', body: JSON.stringify(body) }, signal);

  return {
    async health(clientUrl, signal) {
      const body = await call(`${clientUrl}/health`, { method: 'GET' }, signal);
      return isRecord(body) && body.health === 'true';
    },
    async memberList(clientUrl, signal) {
      return parseMembers(await post(clientUrl, '/v3/cluster/member/list', {}, signal), clientUrl);
    },
    async memberAdd(clientUrl, peerUrl, signal) {
      return parseMembers(
        await post(clientUrl, '/v3/cluster/member/add', { peerURLs: [peerUrl] }, signal),
        clientUrl,
      );
    },
    async memberRemove(clientUrl, id, signal) {
      await post(clientUrl, '/v3/cluster/member/remove', { ID: id }, signal);
    },
  };
}

function parseMembers(body: unknown, clientUrl: string): EtcdMember[] {
  if (!isRecord(body) || !Array.isArray(body.members)) {
    throw new TendError('unavailable', `etcd flavor: ${clientUrl} answered a member list without members`);
  }
  return body.members.filter(isRecord).map((m) => ({
    id: String(m.ID ?? ''),
    name: typeof m.name === 'string' ? m.name : '',
    peerUrls: strings(m.peerURLs),
    clientUrls: strings(m.clientURLs),
  }));
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeCause(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}
