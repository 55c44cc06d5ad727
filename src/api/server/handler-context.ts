import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/index.js';
import type { ManagerApi } from './manager-api.js';

/** Serves a GET outside `/v1/` and `/metrics` (the dashboard); resolves true when it answered. */
export type StaticHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface ApiServerOptions {
  host: string;
  port: number;
  tls: { certFile: string; keyFile: string } | undefined;
  staticHandler: StaticHandler | undefined;
  anonymousMetricsOnLoopback: boolean;
  bodyLimitBytes: number;
  logger: Logger;
}

export interface HandlerContext {
  manager: ManagerApi;
  options: ApiServerOptions;
  log: Logger;
  /** Aborts when the server closes. */
  closing: AbortSignal;
}
