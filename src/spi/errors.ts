/** The kinds of failure Tend tells apart. Callers branch on `kind`, never on message text. */
export type TendErrorKind =
  | 'invalid_spec'
  | 'not_found'
  | 'conflict'
  | 'unavailable'
  | 'throttled'
  /** No capacity for this spec now (no free host in a pool, no capacity in a zone): wait, do not count it as a failure. */
  | 'exhausted'
  | 'not_leader'
  | 'timeout'
  | 'fenced'
  | 'internal';

export const tendErrorKinds: readonly TendErrorKind[] = [
  'invalid_spec',
  'not_found',
  'conflict',
  'unavailable',
  'throttled',
  'exhausted',
  'not_leader',
  'timeout',
  'fenced',
  'internal',
];

export interface TendErrorOptions {
  cause?: unknown;
  /** Structured context (plugin name, path, group…); never secrets. */
  details?: Readonly<Record<string, unknown>>;
}

export class TendError extends Error {
  readonly kind: TendErrorKind;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(kind: TendErrorKind, message: string, options: TendErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TendError';
    this.kind = kind;
    this.details = options.details ?? {};
  }

  static is(value: unknown, kind?: TendErrorKind): value is TendError {
    return value instanceof TendError && (kind === undefined || value.kind === kind);
  }
}

export function isTendErrorKind(value: unknown): value is TendErrorKind {
  return typeof value === 'string' && (tendErrorKinds as readonly string[]).includes(value);
}

/** Wraps anything thrown into a TendError, keeping TendErrors as they are. */
export function toTendError(error: unknown, fallback: TendErrorKind = 'internal'): TendError {
  if (error instanceof TendError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new TendError('timeout', error.message || 'operation aborted', { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TendError(fallback, message, { cause: error });
}
