import type { IncomingMessage } from 'node:http';
import type { Access } from './http-routes.js';

/**
 * The one place that decides whether a request may use a route. Everything is allowed while the
 * API listens on loopback only; bearer tokens with viewer/operator/admin roles plug in here.
 * Throw an `HttpError(401|403, …)` to refuse.
 */
export function authorize(_request: IncomingMessage, _access: Access): void {}
