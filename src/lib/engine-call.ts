// Dockerode failures as TendErrors by structure (status, errno, abort), for every engine client.
import { TendError, type TendErrorKind } from '../spi/index.js';

/** What an engine call was doing, for messages that name the place and the problem. */
export interface EngineCall {
  /** e.g. `create container for group workers`, `inspect image local/app:1`. */
  what: string;
  socketPath: string;
  /** The caller's signal: its abort means "caller gave up" (timeout), not "engine unreachable". */
  callerSignal?: AbortSignal | undefined;
  timeoutMs: number;
}

const unreachableCodes = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EACCES', 'EHOSTUNREACH']);

/**
 * Turns a dockerode failure into a TendError by its structure (HTTP status, errno code, abort),
 * never by message text.
 */
export function engineError(error: unknown, call: EngineCall): TendError {
  if (error instanceof TendError) return error;
  const where = `docker engine at ${call.socketPath}`;
  if (call.callerSignal?.aborted === true) {
    return new TendError('timeout', `${call.what}: aborted by the caller`, { cause: error });
  }
  if (isAbort(error)) {
    return new TendError('unavailable', `${call.what}: ${where} did not answer within ${call.timeoutMs} ms`, {
      cause: error,
      details: { socketPath: call.socketPath },
    });
  }
  const code = errnoCode(error);
  if (code !== undefined && unreachableCodes.has(code)) {
    return new TendError(
      'unavailable',
      `${call.what}: ${where} is unreachable (${code}); is dockerd running?`,
      {
        cause: error,
        details: { socketPath: call.socketPath, code },
      },
    );
  }
  const status = statusCode(error);
  if (status !== undefined) {
    return new TendError(
      kindForStatus(status),
      `${call.what}: engine said ${status}: ${engineMessage(error)}`,
      {
        cause: error,
        details: { status },
      },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TendError('internal', `${call.what}: ${message}`, { cause: error });
}

export function statusCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return undefined;
  return typeof error.statusCode === 'number' ? error.statusCode : undefined;
}

function kindForStatus(status: number): TendErrorKind {
  if (status === 400) return 'invalid_spec';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'throttled';
  if (status === 503) return 'unavailable';
  return 'internal';
}

function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function isAbort(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'AbortError' || error.name === 'TimeoutError' || errnoCode(error) === 'ABORT_ERR';
}

/** The engine's own explanation (`{"message": …}`), which names the real problem. */
function engineMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'json' in error) {
    const json = error.json;
    if (typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string') {
      return json.message;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

/** Settles with `request`, or rejects as soon as `signal` aborts, whichever is first. */
export function abortable<T>(request: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The request was already sent; its own (later) rejection must not go unhandled.
    request.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    request.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
