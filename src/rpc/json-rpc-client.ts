import { Agent, type ClientRequest, request } from 'node:http';
import { z } from 'zod';
import { isTendErrorKind, TendError, type TendErrorKind } from '../spi/index.js';
import {
  JSON_RPC_INVALID_PARAMS,
  JSON_RPC_INVALID_REQUEST,
  JSON_RPC_METHOD_NOT_FOUND,
  JSON_RPC_PLUGIN_ERROR,
} from './json-rpc-dispatcher.js';
import type { TcpAddress } from './plugin-dir.js';
import { isErrnoCode } from './unix-socket.js';

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/**
 * The most a plugin may answer to one call. A describe of 10,000 instances with their tags is a
 * few MiB; the server side refuses requests above 4 MiB. Beyond this the answer is a bug or an
 * attack, and buffering it would cost the manager memory and every status read its weight.
 */
export const DEFAULT_MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface JsonRpcClientOptions {
  /** The unix socket; for a plugin on TCP, its `.listen` file (named in errors). */
  socketPath: string;
  /** Set: the plugin listens on TCP here (InfraKit's `<name>.listen`), not on `socketPath`. */
  tcp?: TcpAddress;
  /** Named in every error, so an operator knows which plugin failed. */
  pluginName: string;
  /** Per-call limit unless a call gives its own. Default 30 s. */
  timeoutMs?: number;
  /** Answers longer than this fail the call (kind `internal`). Default 16 MiB. */
  maxAnswerBytes?: number;
}

export interface JsonRpcCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

const responseShape = z.union([
  z.object({ jsonrpc: z.literal('2.0'), result: z.unknown() }),
  z.object({
    jsonrpc: z.literal('2.0'),
    error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }),
  }),
]);

/** Calls one plugin over its unix socket, turning every failure into a TendError naming the plugin. */
export class JsonRpcClient {
  readonly socketPath: string;
  readonly pluginName: string;
  private readonly tcp: TcpAddress | undefined;
  private readonly timeoutMs: number;
  private readonly maxAnswerBytes: number;
  // Keep-alive: a controller calls describe every tick; one connection setup per call is waste.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });
  private nextId = 1;

  constructor(options: JsonRpcClientOptions) {
    this.socketPath = options.socketPath;
    this.tcp = options.tcp;
    this.pluginName = options.pluginName;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  }

  async call(method: string, params: unknown, options: JsonRpcCallOptions = {}): Promise<unknown> {
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', method, params, id });
    const { status, text } = await this.post(method, body, options);
    return this.decode(method, status, text);
  }

  /** Releases pooled connections. Calls made afterwards open new ones. */
  close(): void {
    this.agent.destroy();
  }

  private fail(
    kind: TendErrorKind,
    problem: string,
    method: string,
    extra: { details?: Record<string, unknown>; cause?: unknown } = {},
  ): TendError {
    return new TendError(kind, `plugin ${this.pluginName}: ${problem}`, {
      details: { plugin: this.pluginName, socketPath: this.socketPath, method, ...extra.details },
      ...(extra.cause === undefined ? {} : { cause: extra.cause }),
    });
  }

  /** `retryOf`: the reset that made this a second attempt, if it is one. */
  private post(method: string, body: string, options: JsonRpcCallOptions, retryOf?: Error) {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) {
        reject(this.fail('timeout', `${method} aborted before it was sent`, method));
        return;
      }
      let settled = false;
      const finish = (error: TendError | undefined, value?: { status: number; text: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error !== undefined) {
          req.destroy();
          reject(error);
        } else if (value !== undefined) resolve(value);
      };
      const onAbort = () =>
        finish(this.fail('timeout', `${method} aborted`, method, { cause: signal?.reason }));
      const timer = setTimeout(
        () =>
          finish(
            this.fail('timeout', `${method} timed out after ${timeoutMs} ms`, method, {
              details: { timeoutMs },
            }),
          ),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      const req: ClientRequest = request({
        ...(this.tcp === undefined
          ? { socketPath: this.socketPath }
          : { host: this.tcp.host, port: this.tcp.port }),
        agent: this.agent,
        method: 'POST',
        path: '/',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > this.maxAnswerBytes) {
          finish(this.tooBig(method, ` (Content-Length ${declared})`));
          return;
        }
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          // Cut at the cap: destroying the request closes the connection, so an endless stream
          // stops here rather than at the timeout, and no more than the cap is ever held.
          if (received > this.maxAnswerBytes) finish(this.tooBig(method, ''));
          else chunks.push(chunk);
        });
        res.once('end', () =>
          finish(undefined, { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        // Closed before the whole answer arrived: the plugin (or its connection) went away.
        res.once('close', () => {
          if (!res.complete) finish(this.died(method));
        });
        res.once('error', (error) => finish(this.died(method, error)));
      });
      req.once('error', (error) => {
        if (settled) return;
        if (isErrnoCode(error, 'ENOENT', 'ECONNREFUSED')) {
          // Reset mid-call, then nobody listening: the plugin died with our call in its hands.
          if (retryOf !== undefined) {
            finish(this.died(method, retryOf));
            return;
          }
          finish(this.fail('unavailable', `no one listening on ${this.where()}`, method, { cause: error }));
          return;
        }
        // A reset on a pooled connection is usually the server closing it while idle, just as we
        // sent: the call never reached a handler, so send it once more on a fresh connection (as
        // Node's docs advise). It may also be a plugin dying mid-call; every plugin method is
        // idempotent by contract (tend.op for provision), so a second attempt does no harm.
        if (req.reusedSocket && isErrnoCode(error, 'ECONNRESET', 'EPIPE') && retryOf === undefined) {
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.post(method, body, options, error).then(resolve, reject);
          return;
        }
        finish(this.died(method, error));
      });
      req.end(body);
    });
  }

  /** The socket, or for a plugin on TCP its address and the `.listen` file that named it. */
  private where(): string {
    return this.tcp === undefined
      ? this.socketPath
      : `${this.tcp.host}:${this.tcp.port} (${this.socketPath})`;
  }

  private tooBig(method: string, why: string): TendError {
    const limit = this.maxAnswerBytes;
    const message = `plugin ${this.pluginName} answered more than ${limit} bytes to ${method}${why}`;
    return new TendError('internal', message, {
      details: { plugin: this.pluginName, socketPath: this.socketPath, method, limitBytes: limit },
    });
  }

  private died(method: string, cause?: unknown): TendError {
    const message = `plugin ${this.pluginName} died during ${method} (the connection closed before the answer)`;
    return new TendError('unavailable', message, {
      details: { plugin: this.pluginName, socketPath: this.socketPath, method },
      ...(cause === undefined ? {} : { cause }),
    });
  }

  private decode(method: string, status: number, text: string): unknown {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      const snippet = text.slice(0, 200);
      return this.throwFail(
        'internal',
        `answered ${method} with HTTP ${status} and no JSON-RPC body: ${snippet}`,
        method,
      );
    }
    const parsed = responseShape.safeParse(message);
    if (!parsed.success) {
      return this.throwFail(
        'internal',
        `answered ${method} with a malformed JSON-RPC response (HTTP ${status})`,
        method,
      );
    }
    const response = parsed.data;
    if ('result' in response) return response.result;
    const { code, message: remote, data } = response.error;
    const extra = { code, remoteMessage: remote };
    if (code === JSON_RPC_PLUGIN_ERROR) {
      const kind = typeof data === 'object' && data !== null && 'kind' in data ? data.kind : undefined;
      if (isTendErrorKind(kind)) return this.throwFail(kind, remote, method, extra);
      if (isGorillaMethodNotFound(remote))
        return this.throwFail(
          'invalid_spec',
          `rejected ${method}: ${remote} (InfraKit-style)`,
          method,
          extra,
        );
      // An InfraKit-style failure: no kind to rebuild, so `internal`, marked as not said.
      return this.throwFail('internal', remote, method, { ...extra, kindSent: false });
    }
    // InfraKit v0.5 (gorilla/rpc json2) answers params that do not decode as -32600 with the
    // params in `data`; Tend's own -32600 (a malformed request) carries no data.
    const infraKitInvalidParams = code === JSON_RPC_INVALID_REQUEST && data !== undefined && data !== null;
    if (code === JSON_RPC_INVALID_PARAMS || code === JSON_RPC_METHOD_NOT_FOUND || infraKitInvalidParams) {
      // Do not retry: the plugin will answer the same way until the spec or the plugin changes.
      return this.throwFail(
        'invalid_spec',
        `rejected ${method}: ${remote} (JSON-RPC ${code})`,
        method,
        extra,
      );
    }
    return this.throwFail('internal', `failed ${method}: ${remote} (JSON-RPC ${code})`, method, extra);
  }

  private throwFail(
    kind: TendErrorKind,
    problem: string,
    method: string,
    details: Record<string, unknown> = {},
  ): never {
    throw this.fail(kind, problem, method, { details });
  }
}

/**
 * gorilla/rpc, which InfraKit v0.5's plugins serve with, answers an unknown method with -32000
 * and one of these fixed messages of its own (never a plugin's text): "method not found".
 */
function isGorillaMethodNotFound(message: string): boolean {
  return message.startsWith("rpc: can't find method ") || message.startsWith("rpc: can't find service ");
}
