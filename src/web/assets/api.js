// The dashboard's only link to the manager: JSON requests with the signed-in token, and the live
// event stream. The API lives at the origin's /v1/, wherever the dashboard itself is mounted.

/** A refused or failed request, with the server's own error kind and message. */
export class ApiError extends Error {
  constructor(status, kind, message) {
    super(message);
    this.status = status;
    this.kind = kind;
  }
}

export async function request(token, method, path, body) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'unavailable', 'cannot reach the manager');
  }
  const text = await response.text();
  let parsed;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed;
  const error = parsed && typeof parsed === 'object' ? parsed.error : undefined;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`;
  throw new ApiError(response.status, typeof error?.kind === 'string' ? error.kind : 'internal', message);
}

/** One line for the banner; a refusal says so and carries the server's own words. */
export function describeError(what, error) {
  if (!(error instanceof ApiError)) return `${what} failed: ${String(error)}`;
  if (error.status === 403) return `${what} refused (403 ${error.kind}): ${error.message}`;
  const status = error.status === 0 ? 'no answer' : `${error.status} ${error.kind}`;
  return `${what} failed (${status}): ${error.message}`;
}

const MAX_BACKOFF_MS = 10_000;

/** The status after a `status-delta`: changed summaries replaced or added, removed ones gone. */
export function applyStatusDelta(status, delta) {
  const { changed, removed, ...rest } = delta;
  const groups = new Map(status.groups.map((g) => [g.id, g]));
  for (const id of removed) groups.delete(id);
  for (const group of changed) groups.set(group.id, group);
  const sorted = [...groups.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { ...rest, groups: sorted };
}

/**
 * Server-sent events from /v1/events/stream. EventSource cannot send headers, so the token rides
 * in the query. EventSource stops for good after a non-200 answer and retries at a fixed pace
 * otherwise; we close it on every error and reconnect ourselves with capped, jittered backoff so a
 * restarting manager is not hammered, and `onOpen` lets the caller refetch what it missed.
 */
export function openStream(token, handlers) {
  let source;
  let timer;
  let attempt = 0;
  let closed = false;
  const parse = (event, deliver) => {
    try {
      deliver(JSON.parse(event.data));
    } catch {
      // A malformed message is dropped; the next status message corrects the view.
    }
  };
  // The status as the last `status` message and the `status-delta`s after it make it.
  let status;
  const connect = () => {
    status = undefined;
    source = new EventSource(`/v1/events/stream?token=${encodeURIComponent(token)}&status=delta`);
    source.addEventListener('open', () => {
      attempt = 0;
      handlers.onState('live');
      handlers.onOpen();
    });
    source.addEventListener('group-event', (event) => parse(event, handlers.onEvent));
    source.addEventListener('status', (event) =>
      parse(event, (whole) => {
        status = whole;
        handlers.onStatus(status);
      }),
    );
    source.addEventListener('status-delta', (event) =>
      parse(event, (delta) => {
        if (status === undefined) return; // never before a whole status; dropped, not guessed at
        status = applyStatusDelta(status, delta);
        handlers.onStatus(status);
      }),
    );
    source.addEventListener('error', () => {
      source.close();
      if (closed) return;
      handlers.onState('reconnecting');
      const cap = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt);
      attempt += 1;
      timer = setTimeout(connect, 250 + Math.random() * cap);
    });
  };
  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      source?.close();
    },
  };
}
