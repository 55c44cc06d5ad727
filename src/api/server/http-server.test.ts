// The server runs on `ManagerApi` alone: a fake stands in for the manager here, with no Manager,
// store or leadership behind it, and reads, writes and the audit go through that interface.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { AuditLog } from '../../auth/index.js';
import { silentLogger } from '../../lib/index.js';
import { type GroupId, groupId, TendError } from '../../spi/index.js';
import type { StatusView } from '../index.js';
import { ReadCache, StatusFeed, startApiServer } from './index.js';
import type { ManagerApi } from './manager-api.js';

const self = { name: 'fake', role: 'leader' as const, address: '', epoch: 1 };
const status: StatusView = { self, leader: null, groups: [] };
const scaled: Array<{ id: GroupId; size: number; author: string | undefined }> = [];
const audit = new AuditLog();
const unused = (): never => {
  throw new TendError('unavailable', 'not used by this test');
};

const fake: ManagerApi = {
  name: 'fake',
  services: {
    tokens: {
      verify: async (secret) => (secret === 'admin-secret' ? { name: 'ops', role: 'admin' } : undefined),
      list: unused,
      create: unused,
      revoke: unused,
    },
    audit,
    events: { query: () => [], subscribe: () => () => undefined },
    metrics: { render: async () => '', contentType: 'text/plain' },
    statusFeed: new StatusFeed({ compute: async () => JSON.stringify(status), logger: silentLogger }),
    reads: new ReadCache(),
  },
  isLeader: () => true,
  leaderInfo: async () => undefined,
  leaderInfoWithin: async () => undefined,
  leaderView: async () => ({ self, leader: null }),
  status: async () => status,
  recentEvents: () => [],
  metricsHistory: unused,
  groupView: unused,
  instances: unused,
  instance: unused,
  history: unused,
  logsPlugin: unused,
  apply: unused,
  scale: async (id, size, meta) => {
    scaled.push({ id, size, author: meta?.author });
    return { ok: true, id, message: `${id} scaled to ${size}`, revision: 7 };
  },
  pauseRollout: unused,
  resumeRollout: unused,
  undoRollout: unused,
  destroyGroup: unused,
  destroyInstances: unused,
  freeGroup: unused,
};

const server = await startApiServer(fake, {
  host: '127.0.0.1',
  port: 0,
  tls: undefined,
  staticHandler: undefined,
  anonymousMetricsOnLoopback: false,
  bodyLimitBytes: 1024,
  logger: silentLogger,
});
after(() => server.close());

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, {
    ...init,
    headers: { authorization: 'Bearer admin-secret', 'content-type': 'application/json' },
  });

test('a read and a write reach the manager through ManagerApi, and the write is audited', async () => {
  const read = await call('/v1/status');
  assert.equal(read.status, 200);
  assert.deepEqual(await read.json(), status);

  const write = await call('/v1/groups/web/scale', {
    method: 'POST',
    body: JSON.stringify({ size: 3, author: 'alice' }),
  });
  assert.equal(write.status, 200);
  assert.deepEqual(await write.json(), { ok: true, id: 'web', message: 'web scaled to 3', revision: 7 });
  assert.deepEqual(scaled, [{ id: groupId('web'), size: 3, author: 'alice' }]);
  const [entry] = await audit.recent(10);
  assert.equal(entry?.who, 'ops');
  assert.equal(entry?.action, 'scale');
  assert.equal(entry?.group, 'web');
  assert.equal(entry?.revision, 7);
  assert.equal(entry?.result, 'ok');
});

test('a caller without a valid token is refused before the manager is asked', async () => {
  const response = await fetch(`${server.url}/v1/status`, { headers: { authorization: 'Bearer wrong' } });
  assert.equal(response.status, 401);
});
