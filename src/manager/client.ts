import { type GroupId, isTendErrorKind, TendError } from '../spi/index.js';
import type {
  ActionBody,
  ApplyView,
  CommitMeta,
  EventsView,
  GroupView,
  HistoryView,
  LeaderView,
  OkView,
  StatusView,
} from './api-types.js';

export interface ManagerClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:7420`. */
  url: string;
  /** Sent as `authorization: Bearer …` once the API checks tokens. */
  token?: string;
  /** Per-request timeout for reads; writes (destroy drains instances) wait as long as they take. */
  readTimeoutMs?: number;
}

/** Talks to a manager's HTTP API; errors come back as `TendError`s with the server's kind. */
export class ManagerClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly readTimeoutMs: number;

  constructor(options: ManagerClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
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

  history(id: string): Promise<HistoryView> {
    return this.get(`/v1/groups/${encodeURIComponent(id)}/history`);
  }

  events(after = 0, limit?: number): Promise<EventsView> {
    return this.get(`/v1/events?after=${after}${limit === undefined ? '' : `&limit=${limit}`}`);
  }

  apply(document: string, options: CommitMeta & { dryRun?: boolean } = {}): Promise<ApplyView> {
    return this.post('/v1/apply', { document, ...options });
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
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      throw new TendError(
        'unavailable',
        `cannot reach a Tend manager at ${this.url} (start one with \`tend up\`)`,
        {
          cause: error,
        },
      );
    }
    const text = await response.text();
    const parsed = parseJson(text);
    if (response.ok) return parsed as T;
    throw toError(response.status, parsed, text);
  }
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
    return new TendError(kind, message, { details: details as Record<string, unknown> });
  }
  return new TendError('internal', `HTTP ${status}: ${text.slice(0, 200)}`);
}
