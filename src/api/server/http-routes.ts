import { groupId, instanceId, TendError } from '../../spi/index.js';
import { adminRoutes } from './http-admin-routes.js';
import { STATUS_KEY } from './read-cache.js';
import { actionBody, applyBody, destroyInstancesBody, scaleBody } from './request-bodies.js';
import type { Access, Route, RouteRequest } from './route.js';

const id = (request: RouteRequest) => groupId(request.params.id ?? '');

export const routes: readonly Route[] = [
  {
    method: 'GET',
    path: '/v1/leader',
    access: 'viewer',
    placement: 'local',
    handle: (m) => m.leaderView(),
  },
  {
    method: 'GET',
    path: '/v1/status',
    access: 'viewer',
    placement: 'prefer-leader',
    cacheKey: () => STATUS_KEY,
    handle: (m) => m.status(),
  },
  {
    method: 'GET',
    path: '/v1/events',
    access: 'viewer',
    placement: 'prefer-leader',
    handle: async (m, r) => ({
      events: m.recentEvents({
        after: intParam(r.query, 'after'),
        limit: intParam(r.query, 'limit'),
        group: r.query.get('group') ?? undefined,
        instance: r.query.get('instance') ?? undefined,
      }),
    }),
  },
  {
    method: 'GET',
    path: '/v1/metrics/history',
    access: 'viewer',
    // The leader keeps the live numbers; a standby's ring holds only empty intervals.
    placement: 'prefer-leader',
    handle: async (m) => m.metricsHistory(),
  },
  {
    method: 'GET',
    path: '/v1/groups/:id',
    access: 'viewer',
    placement: 'prefer-leader',
    cacheKey: (params) => `group:${params.id ?? ''}`,
    cacheScope: (params) => params.id ?? '',
    handle: (m, r) => m.groupView(id(r)),
  },
  {
    method: 'GET',
    path: '/v1/groups/:id/instances',
    access: 'viewer',
    placement: 'prefer-leader',
    handle: (m, r) =>
      m.instances(id(r), {
        limit: strictIntParam(r.query, 'limit'),
        cursor: r.query.get('cursor') ?? undefined,
      }),
  },
  {
    method: 'GET',
    path: '/v1/instances/:instance',
    access: 'viewer',
    placement: 'prefer-leader',
    handle: (m, r) => m.instance(instanceId(r.params.instance ?? '')),
  },
  {
    method: 'GET',
    path: '/v1/groups/:id/history',
    access: 'viewer',
    placement: 'local',
    handle: (m, r) => m.history(id(r)),
  },
  {
    method: 'POST',
    path: '/v1/apply',
    // Applying can create, replace or remove instances of any group: an admin decision.
    access: 'admin',
    placement: 'leader',
    handle: (m, r) => {
      const body = applyBody.parse(r.body);
      return m.apply(body.document, { dryRun: body.dryRun, ...commitMeta(r, body) });
    },
  },
  {
    method: 'POST',
    path: '/v1/plan',
    // A dry run reads the store and the platform and changes nothing: anyone who may read may ask.
    access: 'viewer',
    placement: 'leader',
    handle: (m, r) => {
      const body = applyBody.parse(r.body);
      return m.apply(body.document, { dryRun: true, author: body.author, reason: body.reason });
    },
  },
  {
    method: 'POST',
    path: '/v1/groups/:id/scale',
    access: 'operator',
    placement: 'leader',
    handle: (m, r) => {
      const body = scaleBody.parse(r.body);
      return m.scale(id(r), body.size, commitMeta(r, body));
    },
  },
  action('/v1/groups/:id/rollout/pause', 'operator', (m, r) => m.pauseRollout(id(r))),
  action('/v1/groups/:id/rollout/resume', 'operator', (m, r) => m.resumeRollout(id(r))),
  action('/v1/groups/:id/rollout/undo', 'operator', (m, r) =>
    m.undoRollout(id(r), commitMeta(r, actionBody.parse(r.body))),
  ),
  action('/v1/groups/:id/destroy', 'admin', (m, r) =>
    m.destroyGroup(id(r), commitMeta(r, actionBody.parse(r.body))),
  ),
  action('/v1/groups/:id/instances/destroy', 'admin', (m, r) => {
    const body = destroyInstancesBody.parse(r.body);
    return m.destroyInstances(id(r), body.instances.map(instanceId), commitMeta(r, body));
  }),
  action('/v1/groups/:id/free', 'admin', (m, r) =>
    m.freeGroup(id(r), commitMeta(r, actionBody.parse(r.body))),
  ),
  ...adminRoutes,
];

/** Who commits: the body's author and reason, and the token that was let in (never the body's). */
function commitMeta(
  request: RouteRequest,
  body: { author?: string | undefined; reason?: string | undefined },
) {
  return { author: body.author, reason: body.reason, token: request.principal.name };
}

function action(path: string, access: Access, handle: Route['handle']): Route {
  return { method: 'POST', path, access, placement: 'leader', handle };
}

export function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || !/^\d{1,9}$/.test(raw)) return undefined;
  return Number(raw);
}

/** Like `intParam`, but a value that is there and not a number is refused rather than ignored. */
function strictIntParam(query: URLSearchParams, name: string): number | undefined {
  const value = intParam(query, name);
  if (value === undefined && query.get(name) !== null) {
    throw new TendError('invalid_spec', `${name}: expected a whole number, got ${query.get(name)}`);
  }
  return value;
}

/** A path parameter must be a plain name: no separators, no dot segments, nothing to traverse. */
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

const patterns = routes.map((route) => ({ route, pattern: route.path.split('/') }));

export function matchRoute(method: string, pathname: string): RouteMatch {
  const segments = pathname.split('/');
  const allowed: string[] = [];
  for (const { route, pattern } of patterns) {
    const params = matchPath(pattern, segments);
    if (params === undefined) continue;
    if (route.method === method) return { kind: 'found', route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
}

function matchPath(
  pattern: readonly string[],
  segments: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i] ?? '';
    if (!part.startsWith(':')) {
      if (part !== segment) return undefined;
      continue;
    }
    let value: string;
    try {
      value = decodeURIComponent(segment);
    } catch {
      return undefined;
    }
    if (!SAFE_SEGMENT.test(value)) return undefined;
    params[part.slice(1)] = value;
  }
  return params;
}
