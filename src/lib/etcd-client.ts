import { createRequire } from 'node:module';
import type * as Etcd3Module from 'etcd3';
import type { Etcd3, IOptions } from 'etcd3';
import { TendError } from '../spi/index.js';

// Shared by the etcd store and etcd leadership, which may not import each other.

/**
 * etcd3 (with gRPC) is loaded on first use, not when lib is imported: every folder imports lib,
 * and loading it eagerly costs each plugin process and unit-test file about 0.3 s and 25 MB.
 * etcd3 is CommonJS, so `require` shares the module instance with ES imports of it elsewhere
 * (`instanceof` on its errors holds).
 */
const requireModule = createRequire(import.meta.url);
let etcd3Module: typeof Etcd3Module | undefined;
function etcd3(): typeof Etcd3Module {
  etcd3Module ??= requireModule('etcd3') as typeof Etcd3Module;
  return etcd3Module;
}

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
  return new (etcd3().Etcd3)({
    hosts: [...options.endpoints],
    dialTimeout: timeout,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: new Date(Date.now() + timeout) }),
    faultHandling: { host: () => passThrough },
  });
}

class NoAnswer extends Error {}

/** etcd's own and gRPC's errors (and our guard) mean etcd could not answer; anything else is a bug. */
function isUnreachable(error: unknown): boolean {
  if (error instanceof NoAnswer) return true;
  const { ClientClosedError, EtcdError, GRPCGenericError } = etcd3();
  return (
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
