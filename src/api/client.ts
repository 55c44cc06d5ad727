import type { IncomingMessage } from 'node:http';
import {
  type GroupId,
  type GroupStatus,
  type InstanceStatus,
  isTendErrorKind,
  TendError,
  toTendError,
} from '../spi/index.js';
import { readEventStream, type StreamHandlers } from './event-stream-reader.js';
import { readBody, sendRequest } from './http-request.js';
import type {
  ActionBody,
  ApplyView,
  AuditEntry,
  CommitMeta,
  EventsView,
  GroupView,
  HistoryView,
  InstancePage,
  InstanceView,
  LeaderView,
  OkView,
  Principal,
  Role,
  StatusView,
  TokenInfo,
} from './views.js';

/** The port `tend up` serves its API on unless told otherwise. */
export const DEFAULT_PORT = 7420;

export interface ManagerClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:7420`. */
  url: string;
  /** Sent as `authorization: Bearer …` once the API checks tokens. */
  token?: string;
  /** Per-request timeout for reads; writes (destroy drains instances) wait as long as they take. */
  readTimeoutMs?: number;
  /** PEM certificate(s) to trust for an https manager, e.g. its self-signed certificate. */
  ca?: string;
}

/** Talks to a manager's HTTP API; errors come back as `TendError`s with the server's kind. */
export class ManagerClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly readTimeoutMs: number;
  private readonly ca: string | undefined;

  constructor(options: ManagerClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.ca = options.ca;
    this.readTimeoutMs = options.readTimeoutMs ?? 15_000;
  }

  leader(): Promise<LeaderView> {
    return this.get('/v1/leader');
  }

  status(): Promise<StatusView> {
    return this.get('/v1/status');
  }

  group(id: string): Promise<GroupView> {
    return this.get(`/v1/groups/${encodeURIComponent(id)}`);
  }

  /** One page of a group's instances (`GET /v1/groups/:id/instances`), in ID order. */
  instances(id: string, page: { limit?: number; cursor?: string } = {}): Promise<InstancePage> {
    const params = new URLSearchParams();
    if (page.limit !== undefined) params.set('limit', String(page.limit));
    if (page.cursor !== undefined) params.set('cursor', page.cursor);
    const query = params.toString() === '' ? '' : `?${params}`;
    return this.get(`/v1/groups/${encodeURIComponent(id)}/instances${query}`);
  }

  /** The group an instance is in (`GET /v1/instances/:instance`): one read, whatever the fleet. */
  instance(id: string): Promise<InstanceView> {
    return this.get(`/v1/instances/${encodeURIComponent(id)}`);
  }

  /** Every instance of a group, page after page (1,000 a page). */
  async allInstances(id: string): Promise<InstanceStatus[]> {
    const all: InstanceStatus[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.instances(id, { limit: 1_000, ...(cursor === undefined ? {} : { cursor }) });
      all.push(...page.instances);
      cursor = page.next;
    } while (cursor !== undefined);
    return all;
  }

  /**
   * A group's live summary with every instance (two reads or more: the summary, then the pages,
   * so the counts and the list may differ by what changed between them); null without a leader.
   */
  async groupStatus(id: string): Promise<GroupStatus | null> {
    const { status } = await this.group(id);
    if (status === null) return null;
    return { ...status, instances: await this.allInstances(id) };
  }

  history(id: string): Promise<HistoryView> {
    return this.get(`/v1/groups/${encodeURIComponent(id)}/history`);
  }

  events(after = 0, limit?: number, filter: EventFilter = {}): Promise<EventsView> {
    return this.get(`/v1/events?${eventParams({ ...filter, after, limit })}`);
  }

  /**
   * Follows `GET /v1/events/stream` until `signal` aborts or the server ends it. Resolves when
   * the stream ends; the caller decides whether to reconnect (with `after` = last seq seen).
   */
  async stream(
    options: StreamHandlers & EventFilter & { after?: number; signal: AbortSignal },
  ): Promise<void> {
    const response = await this.send(
      'GET',
      // Status changes as deltas; readEventStream hands on whole statuses all the same.
      `/v1/events/stream?${eventParams(options)}&status=delta`,
      undefined,
      options.signal,
      {
        accept: 'text/event-stream',
      },
    );
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) throw toError(status, parseJson(await readBody(response)), '');
    const stop = () => response.destroy();
    options.signal.addEventListener('abort', stop, { once: true });
    try {
      await readEventStream(response, options);
    } catch (error) {
      if (!options.signal.aborted) throw error; // the caller stopped following
    } finally {
      options.signal.removeEventListener('abort', stop);
    }
  }

  /** An instance's output through its group's plugin (`GET /v1/groups/:id/instances/:instance/logs`). */
  logs(group: string, instance: string, query: LogsQuery = {}): Promise<LogsView> {
    return this.get(`${logsPath(group, instance)}?${logsParams(query)}`);
  }

  /** Follows an instance's log: `onLog` gets the tail, then each new piece, until `signal` aborts. */
  async followLogs(
    group: string,
    instance: string,
    options: LogsQuery & { onLog: (text: string) => void; signal: AbortSignal },
  ): Promise<void> {
    const params = logsParams({ ...options, follow: true });
    const response = await this.send(
      'GET',
      `${logsPath(group, instance)}?${params}`,
      undefined,
      options.signal,
      {
        accept: 'text/event-stream',
      },
    );
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) throw toError(status, parseJson(await readBody(response)), '');
    const stop = () => response.destroy();
    options.signal.addEventListener('abort', stop, { once: true });
    let failure: TendError | undefined;
    try {
      await readEventStream(response, {
        onLog: options.onLog,
        onError: (error) => {
          failure = toError(500, { error }, '');
        },
      });
    } catch (error) {
      if (!options.signal.aborted) throw error;
    } finally {
      options.signal.removeEventListener('abort', stop);
    }
    if (failure !== undefined) throw failure;
  }

  whoami(): Promise<Principal> {
    return this.get('/v1/whoami');
  }

  tokens(): Promise<{ tokens: TokenInfo[] }> {
    return this.get('/v1/tokens');
  }

  createToken(name: string, role: Role): Promise<TokenInfo & { token: string }> {
    return this.post('/v1/tokens', { name, role });
  }

  revokeToken(name: string): Promise<{ ok: true; name: string; message: string }> {
    return this.request('DELETE', `/v1/tokens/${encodeURIComponent(name)}`, undefined, undefined);
  }

  audit(limit = 100): Promise<{ entries: AuditEntry[] }> {
    return this.get(`/v1/audit?limit=${limit}`);
  }

  apply(document: string, options: CommitMeta & { dryRun?: boolean } = {}): Promise<ApplyView> {
    return this.post('/v1/apply', { document, ...options });
  }

  /** What applying would change; allowed to viewers, since it changes nothing. */
  plan(document: string, meta: CommitMeta = {}): Promise<ApplyView> {
    return this.post('/v1/plan', { document, ...meta });
  }

  scale(id: GroupId | string, size: number, meta: CommitMeta = {}): Promise<OkView> {
    return this.post(`/v1/groups/${encodeURIComponent(id)}/scale`, { size, ...meta });
  }

  rollout(id: string, action: 'pause' | 'resume' | 'undo', meta: ActionBody = {}): Promise<OkView> {
    return this.post(`/v1/groups/${encodeURIComponent(id)}/rollout/${action}`, meta);
  }

  destroy(id: string, meta: ActionBody = {}): Promise<OkView> {
    return this.post(`/v1/groups/${encodeURIComponent(id)}/destroy`, meta);
  }

  destroyInstances(id: string, instances: readonly string[], meta: ActionBody = {}): Promise<OkView> {
    return this.post(`/v1/groups/${encodeURIComponent(id)}/instances/destroy`, { instances, ...meta });
  }

  free(id: string, meta: ActionBody = {}): Promise<OkView> {
    return this.post(`/v1/groups/${encodeURIComponent(id)}/free`, meta);
  }

  private get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path, undefined, AbortSignal.timeout(this.readTimeoutMs));
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, JSON.stringify(body), undefined);
  }

  private async request<T>(
    method: string,
    path: string,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const response = await this.send(method, path, body, signal, { accept: 'application/json' });
    const text = await readBody(response);
    const parsed = parseJson(text);
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return parsed as T;
    throw toError(status, parsed, text);
  }

  private async send(
    method: string,
    path: string,
    body: string | undefined,
    signal: AbortSignal | undefined,
    extra: Record<string, string>,
  ): Promise<IncomingMessage> {
    const headers: Record<string, string> = { ...extra };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    try {
      return await sendRequest({
        method,
        url: new URL(`${this.url}${path}`),
        headers,
        ...(body === undefined ? {} : { body }),
        ...(signal === undefined ? {} : { signal }),
        ...(this.ca === undefined ? {} : { ca: this.ca }),
      });
    } catch (error) {
      if (error instanceof TendError) throw error;
      if (signal?.aborted === true) throw toTendError(signal.reason ?? error, 'timeout');
      if (this.url.startsWith('https:') && isTlsMismatch(error)) {
        throw new TendError(
          'unavailable',
          `${this.url} did not answer TLS: the manager there serves plain http? (try ${this.url.replace(/^https:/, 'http:')})`,
          { cause: error },
        );
      }
      const untrusted = untrustedCertificate(error);
      if (untrusted !== undefined) {
        throw new TendError(
          'unavailable',
          `${this.url}: its TLS certificate is not trusted (${untrusted}); pass --ca FILE with the manager's certificate or its CA`,
          { cause: error },
        );
      }
      throw new TendError(
        'unavailable',
        `cannot reach a Tend manager at ${this.url} (start one with \`tend up\`)`,
        {
          cause: error,
        },
      );
    }
  }
}

export interface LogsQuery {
  /** The last this many lines. */
  tail?: number | undefined;
  /** Only output since then (ms since the epoch). */
  sinceMs?: number | undefined;
}

export interface LogsView {
  group: string;
  instance: string;
  text: string;
}

function logsPath(group: string, instance: string): string {
  return `/v1/groups/${encodeURIComponent(group)}/instances/${encodeURIComponent(instance)}/logs`;
}

function logsParams(query: LogsQuery & { follow?: boolean }): string {
  const params = new URLSearchParams();
  if (query.tail !== undefined) params.set('tail', String(query.tail));
  if (query.sinceMs !== undefined) params.set('since', new Date(query.sinceMs).toISOString());
  if (query.follow === true) params.set('follow', '1');
  return params.toString();
}

export interface EventFilter {
  group?: string | undefined;
  instance?: string | undefined;
}

function eventParams(
  options: EventFilter & { after?: number | undefined; limit?: number | undefined },
): string {
  const params = new URLSearchParams();
  if (options.after !== undefined) params.set('after', String(options.after));
  if (options.limit !== undefined) params.set('limit', String(options.limit));
  if (options.group !== undefined) params.set('group', options.group);
  if (options.instance !== undefined) params.set('instance', options.instance);
  return params.toString();
}

/** Node's codes for a certificate chain it could not verify (self-signed, unknown CA, wrong name). */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
]);

function untrustedCertificate(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNTRUSTED.has(code) ? code : undefined;
}

/** OpenSSL's answer when an https client meets a plain-http server. */
function isTlsMismatch(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG'
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toError(status: number, body: unknown, text: string): TendError {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error = (body as { error: { kind?: unknown; message?: unknown; details?: unknown } }).error;
    const kind = isTendErrorKind(error.kind) ? error.kind : 'internal';
    const message = typeof error.message === 'string' ? error.message : `HTTP ${status}`;
    const details = typeof error.details === 'object' && error.details !== null ? error.details : {};
    return new TendError(kind, message, { details: { ...(details as Record<string, unknown>), status } });
  }
  return new TendError('internal', `HTTP ${status}: ${text.slice(0, 200)}`);
}
