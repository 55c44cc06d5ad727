// A fault-injecting HTTP proxy in front of an EC2 Query API endpoint (moto_server on loopback):
// EC2's real throttling answer from EC2-shaped token buckets, added latency, and responses lost
// after the endpoint acted. Test code; seeded, so a run replays exactly.
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, createRandom, systemClock } from '../../src/lib/index.js';
import {
  costOf,
  createEc2Throttle,
  EC2_DEFAULT_BUCKETS,
  type Ec2BucketName,
  type Ec2Buckets,
} from './ec2-buckets.js';

export interface Ec2ProxyOptions {
  /** The real endpoint, e.g. moto's `http://127.0.0.1:PORT`. Loopback only. */
  target: string;
  /** Seeds latency draws and request IDs. */
  seed: number;
  /** Token buckets; default EC2's documented defaults; `false` turns throttling off. */
  buckets?: Ec2Buckets | false;
  /** Added before each answer: a fixed delay, or one drawn uniformly from [min, max] per request. */
  latencyMs?: number | { min: number; max: number };
  /**
   * Called for each admitted request with its action and how many requests of that action were
   * admitted so far (1-based). `true`: the request is forwarded, the endpoint acts, and the answer
   * is never delivered — the client's connection is cut after the endpoint has answered.
   */
  dropResponse?: (action: string, n: number) => boolean;
  /** Clock of the buckets and the latency sleeps. Default the system clock. */
  clock?: Clock;
  /** Sees every EC2 API request with its parameters and what became of it (benches classify calls). */
  onRequest?: (action: string, params: URLSearchParams, outcome: 'ok' | 'throttled' | 'dropped') => void;
}

export interface ActionStats {
  requests: number;
  throttled: number;
  dropped: number;
}

export interface Ec2ProxyStats {
  /** EC2 API requests (those with an `Action`), throttled or not. */
  requests: number;
  /** Answered `RequestLimitExceeded`. */
  throttled: number;
  /** Forwarded, acted on, answer cut. */
  dropped: number;
  byAction: Record<string, ActionStats>;
  /** Throttled answers by the bucket that was short. */
  throttledBy: Record<Ec2BucketName, number>;
}

export interface Ec2Proxy {
  /** Endpoint to give the SDK (`new EC2Client({ endpoint: proxy.url })`). */
  url: string;
  /** A copy of the counters so far. */
  stats(): Ec2ProxyStats;
  /** Zeroes the counters (buckets keep their level). */
  resetStats(): void;
  close(): Promise<void>;
}

/** Bodies above this are refused: EC2 Query requests are small, and a test must not buffer GBs. */
const MAX_BODY_BYTES = 1024 * 1024;

export async function createEc2Proxy(options: Ec2ProxyOptions): Promise<Ec2Proxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname))
    throw new Error(`ec2 proxy: target must be an http:// loopback URL, got ${options.target}`);
  const clock = options.clock ?? systemClock;
  const random = createRandom(options.seed);
  const throttle =
    options.buckets === false
      ? undefined
      : createEc2Throttle({ buckets: options.buckets ?? EC2_DEFAULT_BUCKETS, clock });
  const latency = latencyDraw(options.latencyMs, random);
  let stats = emptyStats();
  const admittedByAction = new Map<string, number>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'text/plain' }).end(`request body over ${MAX_BODY_BYTES} bytes\n`);
      return;
    }
    const params = queryParams(req, body);
    const action = params.get('Action');
    if (action === null) {
      // Not an EC2 API call (e.g. moto's /moto-api/reset): pass through, uncounted, unthrottled.
      await forward(target, req, body, res, false);
      return;
    }
    stats.requests += 1;
    const counts = stats.byAction[action] ?? { requests: 0, throttled: 0, dropped: 0 };
    stats.byAction[action] = counts;
    counts.requests += 1;
    const admission = throttle?.admit(costOf(action, params)) ?? { ok: true };
    const delay = latency();
    if (delay > 0) await clock.sleep(delay);
    if (!admission.ok) {
      stats.throttled += 1;
      counts.throttled += 1;
      stats.throttledBy[admission.bucket] += 1;
      res
        .writeHead(503, { 'content-type': 'text/xml;charset=UTF-8' })
        .end(requestLimitExceeded(requestId(random)));
      options.onRequest?.(action, params, 'throttled');
      return;
    }
    const n = (admittedByAction.get(action) ?? 0) + 1;
    admittedByAction.set(action, n);
    const drop = options.dropResponse?.(action, n) ?? false;
    if (drop) {
      stats.dropped += 1;
      counts.dropped += 1;
    }
    options.onRequest?.(action, params, drop ? 'dropped' : 'ok');
    await forward(target, req, body, res, drop);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`ec2 proxy: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = emptyStats();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function emptyStats(): Ec2ProxyStats {
  return {
    requests: 0,
    throttled: 0,
    dropped: 0,
    byAction: {},
    throttledBy: { nonMutating: 0, mutating: 0, runInstances: 0, terminateInstances: 0 },
  };
}

/**
 * EC2's throttling answer, in the shape the SDK's ec2Query protocol parses (root element dropped,
 * then `Errors.Error.Code`): HTTP 503, code `RequestLimitExceeded`, which the SDK also classifies
 * as a throttling error for its retry strategy.
 */
export function requestLimitExceeded(requestID: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>' +
    `</Error></Errors><RequestID>${requestID}</RequestID></Response>`
  );
}

function requestId(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function latencyDraw(spec: Ec2ProxyOptions['latencyMs'], random: () => number): () => number {
  if (spec === undefined) return () => 0;
  if (typeof spec === 'number') {
    if (!(spec >= 0)) throw new RangeError(`latencyMs must be ≥ 0, got ${spec}`);
    return () => spec;
  }
  if (!(spec.min >= 0) || !(spec.max >= spec.min))
    throw new RangeError(`latencyMs: need 0 ≤ min ≤ max, got ${spec.min}..${spec.max}`);
  return () => spec.min + random() * (spec.max - spec.min);
}

/** Query parameters of a Query API call: the form-encoded body (POST) and the query string. */
function queryParams(req: IncomingMessage, body: Buffer): URLSearchParams {
  const params = new URL(req.url ?? '/', 'http://proxy').searchParams;
  const type = req.headers['content-type'] ?? '';
  if (body.length > 0 && type.startsWith('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params.append(key, value);
  }
  return params;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The body is re-sent whole, so it is framed by content-length, never chunked. */
function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { 'transfer-encoding': _chunked, connection: _connection, ...rest } = headers;
  return rest;
}

/** Sends the request on and relays the answer; with `drop`, reads the answer fully, then cuts. */
function forward(
  target: URL,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  drop: boolean,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const upstream = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...withoutHopByHop(req.headers), 'content-length': String(body.length) },
      },
      (answer) => {
        if (drop) {
          answer.resume();
          answer.once('end', () => {
            res.socket?.destroy();
            resolve();
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once('end', () => resolve());
      },
    );
    upstream.once('error', reject);
    upstream.end(body);
  });
}
