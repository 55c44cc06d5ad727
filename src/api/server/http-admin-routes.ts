import { z } from 'zod';
import { roles, TOKEN_NAME } from '../../auth/index.js';
import type { Route, RouteRequest } from './route.js';

const createTokenBody = z.object({
  name: z.string().regex(TOKEN_NAME, 'expected letters, digits, . _ - (at most 64)'),
  role: z.enum(roles),
});

const limitOf = (r: RouteRequest, fallback: number, max: number) => {
  const raw = r.query.get('limit');
  const n = raw !== null && /^\d{1,6}$/.test(raw) ? Number(raw) : fallback;
  return Math.min(Math.max(1, n), max);
};

/**
 * Who am I, tokens and the audit log. `local`: tokens live in a backend every manager shares (a
 * file or etcd), so any manager can answer; nothing here needs the leader.
 */
export const adminRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/v1/whoami',
    access: 'viewer',
    placement: 'local',
    handle: async (_m, r) => ({ name: r.principal.name, role: r.principal.role }),
  },
  {
    method: 'GET',
    path: '/v1/tokens',
    access: 'admin',
    placement: 'local',
    handle: async (m) => ({ tokens: await m.services.tokens.list() }),
  },
  {
    method: 'POST',
    path: '/v1/tokens',
    access: 'admin',
    placement: 'local',
    handle: async (m, r) => {
      const body = createTokenBody.parse(r.body);
      const { token, info } = await m.services.tokens.create(body.name, body.role);
      // The only answer that ever carries a secret: the caller keeps it, the manager keeps a hash.
      return { ...info, token };
    },
  },
  {
    method: 'DELETE',
    path: '/v1/tokens/:name',
    access: 'admin',
    placement: 'local',
    handle: async (m, r) => {
      const name = r.params.name ?? '';
      await m.services.tokens.revoke(name);
      return { ok: true, name, message: `token ${name} revoked` };
    },
  },
  {
    method: 'GET',
    path: '/v1/audit',
    access: 'admin',
    placement: 'local',
    handle: async (m, r) => ({ entries: await m.services.audit.recent(limitOf(r, 100, 10_000)) }),
  },
];
