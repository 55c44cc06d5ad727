// EC2's API throttling as token buckets, on an injected clock: which bucket an action draws from,
// how many tokens it costs, and whether the account has them now. Pure arithmetic, no I/O, so the
// proxy in front of moto and its unit tests share one model.
import type { Clock } from '../../src/lib/index.js';

export interface BucketSpec {
  /** Most tokens the bucket holds (the burst). */
  capacity: number;
  /** Tokens added per second, continuously. */
  refillPerSec: number;
  /** Tokens at start. Default `capacity`; 0 models an account that has just spent its burst. */
  initial?: number;
}

/**
 * The buckets of one account in one region. Request buckets are charged one token per request;
 * the resource buckets are charged one token per instance the request affects.
 */
export interface Ec2Buckets {
  /** Describe*, Get*, List*, Search*: read-only actions. */
  nonMutating: BucketSpec;
  /** Every other action (RunInstances, TerminateInstances, CreateTags, ...). */
  mutating: BucketSpec;
  /** RunInstances' resource bucket: instances launched. */
  runInstances: BucketSpec;
  /** TerminateInstances' resource bucket: instances terminated. */
  terminateInstances: BucketSpec;
}

export type Ec2BucketName = keyof Ec2Buckets;

/**
 * EC2's documented defaults ("Request throttling for the Amazon EC2 API", EC2 developer guide:
 * request token bucket sizes and refill rates; resource token bucket sizes and refill rates).
 * Non-mutating 100 / 20 per s and RunInstances' resource bucket 1000 / 2 per s are quoted in the
 * guide's own examples; mutating 200 / 5 and TerminateInstances 1000 / 20 are from its tables.
 * AWS may raise them per account; these are what a new account gets.
 *
 * Simplification: the guide now evaluates each API in its own bucket sized by its category; here
 * one bucket serves a whole category. That is stricter (a client that stays inside the shared
 * bucket stays inside every per-API one), which is the safe side for a test of back-off.
 */
export const EC2_DEFAULT_BUCKETS: Ec2Buckets = {
  nonMutating: { capacity: 100, refillPerSec: 20 },
  mutating: { capacity: 200, refillPerSec: 5 },
  runInstances: { capacity: 1000, refillPerSec: 2 },
  terminateInstances: { capacity: 1000, refillPerSec: 20 },
};

/**
 * Speeds time up by `factor` for every bucket: refill rates times `factor`, capacities kept, so
 * a burst is the same size and an empty bucket refills `factor` times sooner. A test at factor 10
 * sees in 10 s what an account sees in 100 s.
 */
export function scaleEc2Buckets(buckets: Ec2Buckets, factor: number): Ec2Buckets {
  if (!(factor > 0) || !Number.isFinite(factor))
    throw new RangeError(`scale factor must be a positive number, got ${factor}`);
  const scale = (b: BucketSpec): BucketSpec => ({ ...b, refillPerSec: b.refillPerSec * factor });
  return {
    nonMutating: scale(buckets.nonMutating),
    mutating: scale(buckets.mutating),
    runInstances: scale(buckets.runInstances),
    terminateInstances: scale(buckets.terminateInstances),
  };
}

const NON_MUTATING = /^(Describe|Get|List|Search)/;

/** The request bucket an EC2 Query API action draws from. */
export function requestBucketOf(action: string): 'nonMutating' | 'mutating' {
  return NON_MUTATING.test(action) ? 'nonMutating' : 'mutating';
}

/** What one request costs: one request token, plus resource tokens for the instances it affects. */
export interface Ec2Cost {
  request: 'nonMutating' | 'mutating';
  resource?: { bucket: 'runInstances' | 'terminateInstances'; tokens: number };
}

/**
 * The cost of a request from its Query parameters. RunInstances is charged `MaxCount` (the
 * instances it may launch; Tend asks for one at a time); TerminateInstances one per `InstanceId.N`.
 */
export function costOf(action: string, params: URLSearchParams): Ec2Cost {
  const request = requestBucketOf(action);
  if (action === 'RunInstances') {
    const max = Number(params.get('MaxCount') ?? params.get('MinCount') ?? '1');
    return { request, resource: { bucket: 'runInstances', tokens: wholeAtLeastOne(max) } };
  }
  if (action === 'TerminateInstances') {
    let ids = 0;
    for (const key of params.keys()) if (/^InstanceId\.\d+$/.test(key)) ids += 1;
    return { request, resource: { bucket: 'terminateInstances', tokens: Math.max(1, ids) } };
  }
  return { request };
}

function wholeAtLeastOne(n: number): number {
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1;
}

export type Admission = { ok: true } | { ok: false; bucket: Ec2BucketName };

export interface Ec2Throttle {
  /**
   * Charges `cost` if the account can pay it now, else refuses it. A request refused by its
   * resource bucket has still spent its request token (EC2 evaluated the request); a request
   * refused by its request bucket spends nothing.
   */
  admit(cost: Ec2Cost): Admission;
  /** Tokens in a bucket now (after refill). */
  level(bucket: Ec2BucketName): number;
}

export function createEc2Throttle(options: { buckets: Ec2Buckets; clock: Clock }): Ec2Throttle {
  const { clock } = options;
  const state = new Map<Ec2BucketName, { spec: BucketSpec; tokens: number; last: number }>();
  for (const name of Object.keys(options.buckets) as Ec2BucketName[]) {
    const spec = options.buckets[name];
    validate(name, spec);
    state.set(name, { spec, tokens: spec.initial ?? spec.capacity, last: clock.now() });
  }
  const bucket = (name: Ec2BucketName) => {
    const b = state.get(name);
    if (b === undefined) throw new Error(`no bucket ${name}`);
    const now = clock.now();
    if (now > b.last)
      b.tokens = Math.min(b.spec.capacity, b.tokens + ((now - b.last) * b.spec.refillPerSec) / 1000);
    b.last = now;
    return b;
  };
  return {
    admit(cost) {
      const request = bucket(cost.request);
      if (request.tokens < 1) return { ok: false, bucket: cost.request };
      request.tokens -= 1;
      if (cost.resource !== undefined) {
        const resource = bucket(cost.resource.bucket);
        if (resource.tokens < cost.resource.tokens) return { ok: false, bucket: cost.resource.bucket };
        resource.tokens -= cost.resource.tokens;
      }
      return { ok: true };
    },
    level: (name) => bucket(name).tokens,
  };
}

function validate(name: string, spec: BucketSpec): void {
  const ok = (n: number) => Number.isFinite(n) && n >= 0;
  if (!ok(spec.capacity) || !(spec.refillPerSec > 0) || !Number.isFinite(spec.refillPerSec))
    throw new RangeError(`bucket ${name}: capacity must be ≥ 0 and refillPerSec > 0`);
  if (spec.initial !== undefined && (!ok(spec.initial) || spec.initial > spec.capacity))
    throw new RangeError(`bucket ${name}: initial must be between 0 and capacity ${spec.capacity}`);
}

/** Seconds a bucket needs to admit `tokens` from its initial level, spent as fast as it allows. */
export function floorSeconds(spec: BucketSpec, tokens: number): number {
  const short = tokens - (spec.initial ?? spec.capacity);
  return short <= 0 ? 0 : short / spec.refillPerSec;
}
