import { ZodError } from 'zod';
import { formatIssues } from '../../lib/index.js';
import { type JsonValue, type TendError, type TendErrorKind, toTendError } from '../../spi/index.js';
import type { ErrorBody } from '../index.js';

const statusByKind: Record<TendErrorKind, number> = {
  invalid_spec: 400,
  not_found: 404,
  conflict: 409,
  throttled: 429,
  exhausted: 503,
  not_leader: 503,
  unavailable: 503,
  fenced: 503,
  timeout: 504,
  internal: 500,
};

/** Kinds only the HTTP layer has: who is calling is not a Tend (controller) concern. */
export type HttpErrorKind = TendErrorKind | 'unauthorized' | 'forbidden' | 'too_large';

/** An error the HTTP layer itself raises (bad route, body too large, no token), with its own status. */
export class HttpError extends Error {
  readonly status: number;
  readonly kind: HttpErrorKind;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, kind: HttpErrorKind, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.kind = kind;
    this.headers = headers;
  }
}

export function errorResponse(error: unknown): {
  status: number;
  body: ErrorBody;
  headers?: Readonly<Record<string, string>>;
} {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      body: { error: { kind: error.kind, message: error.message } },
      headers: error.headers,
    };
  }
  if (error instanceof ZodError) {
    const message = formatIssues(error, 'body');
    return { status: 400, body: { error: { kind: 'invalid_spec', message } } };
  }
  const tend = toTendError(error);
  const details = jsonDetails(tend);
  return {
    status: statusByKind[tend.kind],
    body: {
      error: { kind: tend.kind, message: tend.message, ...(details === undefined ? {} : { details }) },
    },
  };
}

/** Only the leader's whereabouts leave the server; other details may hold internals. */
function jsonDetails(error: TendError): Record<string, JsonValue> | undefined {
  const leader = error.details.leader;
  if (leader === undefined) return undefined;
  return { leader: JSON.parse(JSON.stringify(leader)) as JsonValue };
}
