import { z } from 'zod';
import type { Logger } from '../lib/index.js';
import { formatIssues, mapLimited, silentLogger } from '../lib/index.js';
import { TendError } from '../spi/index.js';

/** JSON-RPC 2.0 error codes, plus -32000 for a plugin's own (TendError) failures. */
export const JSON_RPC_PARSE_ERROR = -32700;
export const JSON_RPC_INVALID_REQUEST = -32600;
export const JSON_RPC_METHOD_NOT_FOUND = -32601;
export const JSON_RPC_INVALID_PARAMS = -32602;
export const JSON_RPC_INTERNAL_ERROR = -32603;
export const JSON_RPC_PLUGIN_ERROR = -32000;

export type JsonRpcId = string | number | null;

export interface MethodContext {
  /** Aborted when the caller goes away (connection closed) or the server shuts down. */
  signal: AbortSignal;
}

export type MethodHandler = (params: unknown, context: MethodContext) => Promise<unknown>;

/** A batch longer than this is refused whole: one request must not fan out without bound. */
export const DEFAULT_MAX_BATCH_LENGTH = 100;
/** Calls of one batch run at most this many at a time, so a batch cannot starve the process. */
export const DEFAULT_BATCH_CONCURRENCY = 4;

export interface JsonRpcDispatcherOptions {
  logger?: Logger;
  /** Default {@link DEFAULT_MAX_BATCH_LENGTH}. */
  maxBatchLength?: number;
  /** Default {@link DEFAULT_BATCH_CONCURRENCY}. */
  batchConcurrency?: number;
}

interface ErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

type Outcome = { result: unknown } | { error: ErrorObject };

const requestShape = z.object({
  jsonrpc: z.literal('2.0'),
  method: z.string().min(1),
  params: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
  id: z.union([z.string(), z.number(), z.null()]).optional(),
});

/**
 * Transport-free JSON-RPC 2.0: text in, text out. It never throws and never answers with anything
 * but well-formed JSON-RPC, so a transport can hand it any bytes a client sent.
 */
export class JsonRpcDispatcher {
  private readonly handlers = new Map<string, MethodHandler>();
  private readonly logger: Logger;
  private readonly maxBatchLength: number;
  private readonly batchConcurrency: number;

  constructor(options: JsonRpcDispatcherOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.maxBatchLength = options.maxBatchLength ?? DEFAULT_MAX_BATCH_LENGTH;
    this.batchConcurrency = options.batchConcurrency ?? DEFAULT_BATCH_CONCURRENCY;
  }

  register(method: string, handler: MethodHandler): void {
    if (this.handlers.has(method)) {
      throw new TendError('conflict', `JSON-RPC method ${method} is already registered`);
    }
    this.handlers.set(method, handler);
  }

  methods(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /** Answers one body: a response, a batch response, or undefined when only notifications came. */
  async handle(body: string, options: { signal?: AbortSignal } = {}): Promise<string | undefined> {
    const signal = options.signal ?? new AbortController().signal;
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return serialize(errorResponse(null, JSON_RPC_PARSE_ERROR, `parse error: ${reason}`));
    }
    if (Array.isArray(message)) {
      if (message.length === 0) {
        return serialize(errorResponse(null, JSON_RPC_INVALID_REQUEST, 'invalid request: empty batch'));
      }
      if (message.length > this.maxBatchLength) {
        const problem = `batch of ${message.length} calls exceeds the limit of ${this.maxBatchLength}`;
        return serialize(errorResponse(null, JSON_RPC_INVALID_REQUEST, `invalid request: ${problem}`));
      }
      const answers = await mapLimited(message, this.batchConcurrency, (item) =>
        this.handleOne(item, signal),
      );
      const present = answers.filter((a): a is Record<string, unknown> => a !== undefined);
      return present.length === 0 ? undefined : serializeBatch(present);
    }
    const answer = await this.handleOne(message, signal);
    return answer === undefined ? undefined : serialize(answer);
  }

  private async handleOne(
    message: unknown,
    signal: AbortSignal,
  ): Promise<Record<string, unknown> | undefined> {
    const parsed = requestShape.safeParse(message);
    if (!parsed.success) {
      return errorResponse(
        validId(message),
        JSON_RPC_INVALID_REQUEST,
        `invalid request: ${describeIssues(parsed.error, '')}`,
      );
    }
    const request = parsed.data;
    const isNotification = !('id' in request);
    const id = request.id ?? null;
    const outcome = await this.invoke(request.method, request.params, signal);
    if (isNotification) return undefined;
    if ('error' in outcome)
      return errorResponse(id, outcome.error.code, outcome.error.message, outcome.error.data);
    return { jsonrpc: '2.0', id, result: outcome.result === undefined ? null : outcome.result };
  }

  private async invoke(method: string, params: unknown, signal: AbortSignal): Promise<Outcome> {
    const handler = this.handlers.get(method);
    if (handler === undefined) {
      return { error: { code: JSON_RPC_METHOD_NOT_FOUND, message: `method not found: ${method}` } };
    }
    try {
      return { result: await handler(params ?? {}, { signal }) };
    } catch (error) {
      return { error: this.toErrorObject(method, error) };
    }
  }

  private toErrorObject(method: string, error: unknown): ErrorObject {
    if (error instanceof z.ZodError) {
      return { code: JSON_RPC_INVALID_PARAMS, message: `invalid params: ${describeIssues(error, 'params')}` };
    }
    if (error instanceof TendError) {
      return { code: JSON_RPC_PLUGIN_ERROR, message: error.message, data: { kind: error.kind } };
    }
    // A bug in a handler: say so to the caller, and log it here where the stack is.
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.error('json-rpc handler failed', { method, error: reason });
    return { code: JSON_RPC_INTERNAL_ERROR, message: `internal error in ${method}: ${reason}` };
  }
}

/** `params.Spec.Tags.role: expected string, received number; …` — the first five issues with their paths. */
export function describeIssues(error: z.ZodError, root: string): string {
  return formatIssues(error, root, 5);
}

function validId(message: unknown): JsonRpcId {
  if (typeof message !== 'object' || message === null || !('id' in message)) return null;
  const id = message.id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

function errorResponse(
  id: JsonRpcId,
  code: number,
  message: string,
  data?: unknown,
): Record<string, unknown> {
  const error: ErrorObject = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: '2.0', id, error };
}

/** A result that cannot be serialized (a cycle, a BigInt) becomes an internal error, not a throw. */
function serialize(response: Record<string, unknown>): string {
  try {
    return JSON.stringify(response);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const id = validId(response);
    return JSON.stringify(
      errorResponse(id, JSON_RPC_INTERNAL_ERROR, `result is not serializable: ${reason}`),
    );
  }
}

function serializeBatch(responses: Record<string, unknown>[]): string {
  return `[${responses.map(serialize).join(',')}]`;
}
