// Mirrors src/store/etcd-client.ts: store and leadership may not import each other, and lib must
// not depend on etcd3. Keep the two in step.
import { ClientClosedError, Etcd3, EtcdError, GRPCGenericError, type IOptions } from 'etcd3';
import { TendError } from '../spi/index.js';

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/**
 * A policy that just runs the call. etcd3's default per-host circuit breaker keeps a host
 * "broken" for 5 s after three failures, which would turn a one-second etcd restart into five
 * seconds of refusals; we bound every call with a deadline and retry at our own level instead.
 */
const passThrough: Policy = {
  _altReturn: undefined as never,
  onSuccess: () => ({ dispose: () => {} }),
  onFailure: () => ({ dispose: () => {} }),
  execute: async (fn, signal) => fn({ signal: signal ?? new AbortController().signal }),
};

export interface EtcdClientOptions {
  endpoints: readonly string[];
  /** Deadline of each unary call (default 3000 ms). Streams (watch, keepalive) have none. */
  requestTimeoutMs?: number;
}

export function connectEtcd(options: EtcdClientOptions): Etcd3 {
  const timeout = options.requestTimeoutMs ?? 3000;
  return new Etcd3({
    hosts: [...options.endpoints],
    dialTimeout: timeout,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: new Date(Date.now() + timeout) }),
    faultHandling: { host: () => passThrough },
  });
}

class NoAnswer extends Error {}

/** etcd's own and gRPC's errors (and our guard) mean etcd could not answer; anything else is a bug. */
function isUnreachable(error: unknown): boolean {
  return (
    error instanceof NoAnswer ||
    error instanceof GRPCGenericError ||
    error instanceof EtcdError ||
    error instanceof ClientClosedError ||
    (error instanceof Error && error.name === 'BrokenCircuitError')
  );
}

/** Runs an etcd call, turning "etcd did not answer" into kind `unavailable` with the endpoints named. */
export async function etcdCall<T>(
  what: string,
  endpoints: readonly string[],
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // A guard beyond the per-call deadlines: the library retries, and we never want to hang.
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([fn(), guard]);
  } catch (error) {
    if (error instanceof TendError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (!isUnreachable(error)) throw new TendError('internal', `${what}: ${message}`, { cause: error });
    throw new TendError(
      'unavailable',
      `${what}: etcd at ${endpoints.join(', ')} is unreachable (${message})`,
      {
        cause: error,
        details: { endpoints: [...endpoints] },
      },
    );
  } finally {
    clearTimeout(timer);
  }
}
