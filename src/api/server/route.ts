import type { Principal, Role } from '../index.js';
import type { ManagerApi } from './manager-api.js';

/** The role a caller needs; enforced in one place (`authorize` in http-auth.ts). */
export type Access = Role;

/**
 * `local`: any manager answers from the store. `leader`: only the leader can; a standby forwards.
 * `prefer-leader`: forwarded when a leader is reachable, else answered locally with what the
 * store knows.
 */
export type Placement = 'local' | 'leader' | 'prefer-leader';

export interface RouteRequest {
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  body: unknown;
  /** Who is calling (from the bearer token). */
  principal: Principal;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Segments; `:name` captures one segment. Matched exactly: no prefixes, no wildcards. */
  path: string;
  access: Access;
  placement: Placement;
  /**
   * Answers served from the manager's read cache (`ReadCache`) under this key, at most ~250 ms
   * old unless a write or an event invalidated them. Only for answers that depend on nothing but
   * the path parameters: not on the caller, not on the query string.
   */
  cacheKey?: (params: Readonly<Record<string, string>>) => string;
  /** The group a cached answer reads (dropped when that group changes); default: all of them. */
  cacheScope?: (params: Readonly<Record<string, string>>) => string;
  handle(manager: ManagerApi, request: RouteRequest): Promise<unknown>;
}
