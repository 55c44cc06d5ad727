// The dashboard's behaviour in a real browser against a small fake of the manager's API (the
// routes and answers the manager serves), where the test controls every answer: live events,
// a dropped stream, a manager gone or a standby, a surge, a revoked token, a refused action, the
// spec's history and undo, an instance's log, an admin's confirmed destroy, text that must never
// become markup, and a 420 px wide screen. The real manager process is driven in dashboard.test.ts.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { GroupEvent, GroupStatus } from '../../src/spi/index.js';
import { createDashboardHandler } from '../../src/web/index.js';
import { type BrowserSession, browserSkipReason, forceScale, launchBrowser } from '../support/browser.js';
import { eventually } from '../support/manager.js';

type Role = 'viewer' | 'operator' | 'admin';
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

class FakeApi {
  readonly tokens = new Map<string, { name: string; role: Role }>([
    ['viewer-secret', { name: 'vera', role: 'viewer' }],
    ['admin-secret', { name: 'ada', role: 'admin' }],
  ]);
  readonly posts: string[] = [];
  group: GroupStatus = {
    id: 'web' as GroupStatus['id'],
    phase: 'rolling',
    desired: 2,
    observed: 2,
    healthy: 2,
    config: 'cfg-new-0123456789',
    byConfig: { 'cfg-new-0123456789': 1, 'cfg-old-9876543210': 1 },
    instances: [
      {
        id: 'i-1' as never,
        config: 'cfg-new-0123456789',
        health: 'healthy',
        createdAt: Date.now() - 65_000,
        tags: { role: 'web', 'tend.group': 'web' },
      },
      {
        id: 'i-2' as never,
        config: 'cfg-old-9876543210',
        health: 'healthy',
        createdAt: Date.now() - 5_000,
        tags: {},
      },
    ],
    rollout: {
      fromConfig: 'cfg-old',
      toConfig: 'cfg-new',
      state: 'running',
      updated: 1,
      total: 2,
      startedAt: Date.now(),
    },
    breaker: { open: false, consecutiveFailures: 0 },
    paused: false,
  };
  /** While true every request's socket is destroyed: the manager is gone. */
  down = false;
  role: 'leader' | 'standby' = 'leader';
  readonly logFollowers = new Set<ServerResponse>();
  readonly history = {
    id: 'web',
    revisions: [
      {
        groupId: 'web',
        revision: 1,
        author: 'ann',
        at: '2026-12-01T10:00:00Z',
        reason: 'first',
        spec: specOf(2, 'v1'),
      },
      {
        groupId: 'web',
        revision: 2,
        author: 'bob',
        at: '2026-12-01T11:00:00Z',
        reason: 'new image',
        spec: specOf(2, 'v2'),
      },
    ],
  };
  private events: Array<GroupEvent & { seq: number }> = [];
  private streams = new Set<ServerResponse>();
  private readonly dashboard = createDashboardHandler();

  push(event: Omit<GroupEvent, 'at' | 'groupId'> & { groupId?: string }): void {
    const stored = { groupId: 'web', at: Date.now(), ...event, seq: this.events.length + 1 } as GroupEvent & {
      seq: number;
    };
    this.events.push(stored);
    for (const s of this.streams)
      s.write(`id: ${stored.seq}\nevent: group-event\ndata: ${JSON.stringify(stored)}\n\n`);
  }

  dropStreams(): void {
    for (const s of this.streams) s.end();
    this.streams.clear();
  }

  private status() {
    const self = { name: 'fake-1', role: this.role, address: 'http://fake' };
    const leader = this.role === 'leader' ? { name: 'fake-1', epoch: 7 } : null;
    // As the manager answers: summaries, the instances in pages (GET /v1/groups/:id/instances).
    const { instances: _instances, ...summary } = this.group;
    return { self, leader, groups: [summary] };
  }

  /** Streams opened with `?status=delta` (the dashboard's): they get changes as deltas. */
  private deltaStreams = new Set<ServerResponse>();

  /**
   * A status message on every open stream, as the manager's status feed sends on a change: the
   * group's summary as a `status-delta` where the stream asked for deltas, else the whole status.
   */
  pushStatus(): void {
    const { groups, ...rest } = this.status();
    const delta = { ...rest, changed: groups, removed: [] };
    for (const s of this.streams)
      s.write(
        this.deltaStreams.has(s)
          ? `event: status-delta\ndata: ${JSON.stringify(delta)}\n\n`
          : `event: status\ndata: ${JSON.stringify(this.status())}\n\n`,
      );
  }

  private metrics() {
    const now = Date.now();
    const points = Array.from({ length: 30 }, (_, i) => ({
      at: now - (29 - i) * 10_000,
      groups: { web: { healthy: i < 10 ? 1 : 2, desired: 2, observed: 2 } },
      providerCalls: {
        ok: 3 + (i % 4),
        throttled: i % 7 === 0 ? 2 : 0,
        exhausted: 0,
        error: i === 20 ? 1 : 0,
      },
      reconcile: { count: 5, meanMs: 4 + (i % 5), maxMs: 9 + (i % 3) * 4 },
    }));
    return { intervalMs: 10_000, capacity: 360, points };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    if (!url.pathname.startsWith('/v1/')) {
      if (!(await this.dashboard(req, res)))
        send(res, 404, { error: { kind: 'not_found', message: 'no route' } });
      return;
    }
    const header = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const secret = url.pathname === '/v1/events/stream' ? (url.searchParams.get('token') ?? header) : header;
    const who = secret === undefined ? undefined : this.tokens.get(secret);
    if (who === undefined) return send(res, 401, { error: { kind: 'unauthorized', message: 'bad token' } });
    if (req.method === 'GET') {
      if (url.pathname === '/v1/whoami') return send(res, 200, who);
      if (url.pathname === '/v1/status') return send(res, 200, this.status());
      if (url.pathname === '/v1/events') return send(res, 200, { events: this.events });
      if (url.pathname === '/v1/groups/web/history') return send(res, 200, this.history);
      if (url.pathname === '/v1/groups/web/instances') {
        // As the manager pages: ID order, `limit`, `next` naming the last ID served.
        const all = [...this.group.instances].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        const limit = Number(url.searchParams.get('limit') ?? 100);
        const after = url.searchParams.get('cursor');
        const start = after === null ? 0 : all.findIndex((i) => i.id > after);
        const instances = start < 0 ? [] : all.slice(start, start + limit);
        const more = start >= 0 && start + limit < all.length;
        const next = more ? { next: instances.at(-1)?.id } : {};
        return send(res, 200, { id: 'web', total: all.length, instances, ...next });
      }
      if (url.pathname === '/v1/metrics/history') return send(res, 200, this.metrics());
      if (url.pathname === '/v1/groups/web/instances/i-1/logs') {
        // The manager's format: JSON {text}, or with follow=1 server-sent `event: log` {text} pieces.
        const tail = 'booting i-1\nlistening on :8080\n';
        if (url.searchParams.get('follow') !== '1')
          return send(res, 200, { group: 'web', instance: 'i-1', text: tail });
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
        });
        res.write(`event: log\ndata: ${JSON.stringify({ text: tail })}\n\n`);
        this.logFollowers.add(res);
        req.on('close', () => this.logFollowers.delete(res));
        return;
      }
      if (url.pathname === '/v1/events/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write(`event: status\ndata: ${JSON.stringify(this.status())}\n\n`);
        this.streams.add(res);
        if (url.searchParams.get('status') === 'delta') this.deltaStreams.add(res);
        req.on('close', () => {
          this.streams.delete(res);
          this.deltaStreams.delete(res);
        });
        return;
      }
    }
    const action = /^\/v1\/groups\/web\/(scale|rollout\/pause|rollout\/resume|rollout\/undo|destroy)$/.exec(
      url.pathname,
    )?.[1];
    if (req.method !== 'POST' || action === undefined)
      return send(res, 404, { error: { kind: 'not_found', message: 'no route' } });
    const needs: Role = action === 'destroy' ? 'admin' : 'operator';
    if (RANK[who.role] < RANK[needs]) {
      return send(res, 403, {
        error: {
          kind: 'forbidden',
          message: `this needs the ${needs} role; token ${who.name} is ${who.role}`,
        },
      });
    }
    this.posts.push(`${who.name} ${action}`);
    if (action === 'rollout/undo') {
      const previous = this.history.revisions.at(-2);
      this.history.revisions.push({
        groupId: 'web',
        revision: this.history.revisions.length + 1,
        author: who.name,
        at: new Date().toISOString(),
        reason: `rollout undo: back to revision ${previous?.revision}`,
        spec: previous?.spec ?? specOf(2, 'v1'),
      });
      return send(res, 200, {
        ok: true,
        id: 'web',
        message: `web rolling back to revision ${previous?.revision}`,
      });
    }
    send(res, 200, { ok: true, id: 'web', message: 'done' });
  }
}

function specOf(size: number, image: string) {
  return {
    id: 'web',
    allocation: { size },
    instance: { plugin: 'process' },
    flavor: { plugin: 'vanilla', properties: { init: [`run ${image}`], tags: { role: 'web' } } },
    health: { grace: '1s', unhealthyAfter: '2s' },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const skip = browserSkipReason();
let fake: FakeApi;
let server: Server;
let origin: string;
let browser: BrowserSession | undefined;

before(async () => {
  if (skip !== undefined) return;
  fake = new FakeApi();
  server = createServer((req, res) => void fake.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

after(async () => {
  // The last state on screen, for whoever reads a failure.
  await browser?.screenshot('fake-99-last').catch(() => undefined);
  await browser?.close();
  fake?.dropStreams();
  if (server !== undefined) await new Promise((resolve) => server.close(resolve));
});

test('dashboard against a fake API', { skip: skip ?? false, timeout: 300_000 }, async (t) => {
  assert.ok(browser);
  const { page } = browser;
  const banner = page.getByTestId('banner');

  await t.test('a wrong token is refused on the login form', async () => {
    await page.goto(origin);
    await page.fill('#token', 'nope');
    await page.click('#login-form button[type=submit]');
    await page.getByTestId('login-error').filter({ hasText: 'not accepted' }).waitFor();
  });

  await t.test('a viewer sees groups, configs, rollout and read-only controls', async () => {
    await page.fill('#token', 'viewer-secret');
    await page.click('#login-form button[type=submit]');
    await page.getByTestId('whoami').filter({ hasText: 'vera' }).waitFor();
    await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
    const row = page.locator('tr[data-group="web"]');
    assert.equal(await row.getByTestId('healthy').textContent(), '2');
    assert.equal(await row.getByTestId('desired').textContent(), '2');
    assert.match((await row.textContent()) ?? '', /cfg-new-.*×1.*cfg-old-.*×1/);
    assert.match((await row.textContent()) ?? '', /1\/2 running/);
    assert.match((await page.getByTestId('leader').textContent()) ?? '', /fake-1.*epoch 7/);
    assert.equal(await page.locator('#scale').isDisabled(), true);
    assert.equal(await page.locator('#destroy').isVisible(), false);
    assert.match((await page.locator('#actions-note').textContent()) ?? '', /viewer/);
    await browser?.screenshot('fake-01-viewer');
  });

  await t.test('events arrive live, as text, and filter by instance', async () => {
    fake.push({ type: 'created', instanceId: 'i-1' as never, message: 'created i-1' });
    fake.push({
      type: 'unhealthy',
      instanceId: 'i-2' as never,
      message: '<img src=x onerror=alert(1)> i-2 sick',
    });
    const timeline = page.getByTestId('timeline');
    await timeline.locator('li[data-instance="i-2"]').waitFor();
    assert.equal(await timeline.locator('img').count(), 0);
    assert.match((await timeline.textContent()) ?? '', /<img src=x onerror=alert\(1\)> i-2 sick/);
    await page.click('tr[data-instance="i-1"]');
    await page.locator('[data-filter="instance"]').waitFor();
    assert.equal(await timeline.locator('li').count(), 1);
    assert.equal(await timeline.locator('li[data-instance="i-1"]').count(), 1);
    await page.click('[data-filter="instance"] button');
    assert.equal(await timeline.locator('li').count(), 2);
  });

  await t.test('a dropped stream reconnects and catches up', async () => {
    fake.dropStreams();
    await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
    fake.push({
      type: 'replaced',
      instanceId: 'i-3' as never,
      message: 'replaced i-2 with i-3',
      data: { replaced: 'i-2' },
    });
    await page.locator('li[data-type="replaced"]').waitFor();
  });

  const groupRow = page.locator('tr[data-group="web"]');

  await t.test('the instance table moves with the events, before any new status', async () => {
    // No status is sent: before, the table waited for the next one (a second or more).
    fake.push({
      type: 'created',
      instanceId: 'i-9' as never,
      message: 'created i-9',
      data: { config: 'cfg-new-0123456789' },
    });
    await page.locator('#instances-body tr[data-instance="i-9"]').waitFor();
    fake.push({ type: 'destroyed', instanceId: 'i-9' as never, message: 'destroyed i-9' });
    await page.locator('#instances-body tr[data-instance="i-9"]').waitFor({ state: 'detached' });
  });

  await t.test('a surge (5 / 4 healthy) shows as a surge, not as plain green', async () => {
    Object.assign(fake.group, { desired: 4, healthy: 5, observed: 5 });
    fake.pushStatus();
    await groupRow.getByTestId('surge').filter({ hasText: 'surge +1' }).waitFor();
    const healthy = groupRow.getByTestId('healthy');
    assert.equal(await healthy.textContent(), '5');
    assert.equal(await healthy.getAttribute('class'), 'surge-text');
    await browser?.screenshot('fake-04-surge');
    Object.assign(fake.group, { desired: 2, healthy: 2, observed: 2 });
    fake.pushStatus();
    await groupRow.getByTestId('surge').waitFor({ state: 'detached' });
    assert.equal(await healthy.getAttribute('class'), 'ok-text');
  });

  await t.test('a group larger than a page pages with Next and Previous', async () => {
    const saved = fake.group.instances;
    fake.group.instances = Array.from({ length: 600 }, (_, i) => ({
      id: `p-${String(i).padStart(4, '0')}` as never,
      config: 'cfg-new-0123456789',
      health: 'healthy' as const,
      createdAt: Date.now(),
      tags: {},
    }));
    fake.pushStatus();
    const rows = page.locator('#instances-body tr[data-instance]');
    await page.locator('tr[data-instance="p-0499"]').waitFor();
    assert.equal(await rows.count(), 500);
    assert.equal(await page.locator('#page-prev').isVisible(), false);
    await page.click('#page-next');
    await page.locator('tr[data-instance="p-0599"]').waitFor();
    assert.equal(await rows.count(), 100);
    assert.match((await page.locator('#detail-title').textContent()) ?? '', /501–600 of 600/);
    assert.equal(await page.locator('#page-next').isVisible(), false);
    await page.click('#page-prev');
    await page.locator('tr[data-instance="p-0000"]').waitFor();
    fake.group.instances = saved;
    fake.pushStatus();
    await page.locator('tr[data-instance="i-1"]').waitFor();
  });

  await t.test("the '+N tend' tag chip expands to Tend's own tags", async () => {
    const cell = page.locator('#instances-body tr[data-instance="i-1"]');
    const more = cell.getByTestId('tend-tags');
    assert.equal(await more.textContent(), '+1 tend');
    assert.equal(await cell.locator('.chip', { hasText: 'tend.group=web' }).count(), 0);
    await more.click();
    await cell.locator('.chip', { hasText: 'tend.group=web' }).waitFor();
    assert.equal(await cell.getByTestId('tend-tags').getAttribute('aria-expanded'), 'true');
    // The chip is not a row click: no instance filter came with it.
    assert.equal(await page.locator('[data-filter="instance"]').count(), 0);
    fake.pushStatus(); // a re-render keeps it open
    await cell.locator('.chip', { hasText: 'tend.group=web' }).waitFor();
  });

  await t.test('an instance up close: location, tags, health seen, events, live log', async () => {
    const panel = page.getByTestId('instance-panel');
    await page.click('#instances-body tr[data-instance="i-1"] td.num');
    await panel.waitFor();
    await panel.getByTestId('location').filter({ hasText: 'not reported' }).waitFor();
    const first = fake.group.instances[0] as unknown as Record<string, unknown>;
    first.location = { pid: 4242, host: 'localhost' };
    fake.pushStatus();
    await panel.getByTestId('location').filter({ hasText: '4242' }).waitFor();
    assert.match((await panel.getByTestId('instance-tags').textContent()) ?? '', /role=web.*tend\.group=web/);
    assert.match((await panel.getByTestId('health-history').textContent()) ?? '', /healthy/);
    assert.match((await panel.getByTestId('instance-events').textContent()) ?? '', /created i-1/);
    await panel.getByTestId('log').filter({ hasText: 'listening on :8080' }).waitFor();
    await panel.locator('#log-follow').check();
    await panel.getByTestId('log-state').filter({ hasText: 'following' }).waitFor();
    await eventually('the follow request', () => (fake.logFollowers.size > 0 ? true : undefined));
    for (const follower of fake.logFollowers)
      follower.write(`event: log\ndata: ${JSON.stringify({ text: '<b>request</b> GET /health 200\n' })}\n\n`);
    await panel.getByTestId('log').filter({ hasText: '<b>request</b> GET /health 200' }).waitFor();
    assert.equal(await panel.locator('#log b').count(), 0, 'log text stays text');
    fake.pushStatus(); // a status re-render keeps the followed log
    await panel.getByTestId('log').filter({ hasText: 'GET /health 200' }).waitFor();
    assert.equal(await panel.locator('#log-follow').isChecked(), true);
    await browser?.screenshot('fake-05-instance');
    await panel.locator('#log-follow').uncheck();
    await page.click('[data-filter="instance"] button');
    await panel.waitFor({ state: 'hidden' });
  });

  await t.test('the spec as YAML, its history and a diff between revisions', async () => {
    const spec = page.getByTestId('spec');
    await spec.getByTestId('spec-yaml').filter({ hasText: 'run v2' }).waitFor();
    assert.match((await spec.getByTestId('spec-yaml').textContent()) ?? '', /allocation:\n {2}size: 2\n/);
    assert.equal(await spec.locator('[data-testid="revisions"] li').count(), 2);
    await spec.locator('li[data-revision="1"] [data-testid="diff-from"]').click();
    const diff = spec.getByTestId('spec-diff');
    await diff.waitFor();
    assert.deepEqual(await diff.locator('.del').allTextContents(), ['-       - run v1\n']);
    assert.deepEqual(await diff.locator('.add').allTextContents(), ['+       - run v2\n']);
    assert.equal(await page.locator('#undo').isDisabled(), true, 'a viewer cannot undo');
    await browser?.screenshot('fake-06-spec-diff');
  });

  await t.test('charts of the last hour from the manager', async () => {
    const charts = page.getByTestId('charts');
    await charts.getByTestId('chart-health').locator('polyline.healthy').waitFor();
    const points = await charts.locator('polyline.healthy').getAttribute('points');
    assert.equal(points?.split(' ').length, 30);
    assert.ok((await charts.getByTestId('chart-calls').locator('rect').count()) >= 30);
    assert.match((await charts.getByTestId('chart-calls').textContent()) ?? '', /error 1/);
    assert.match((await charts.getByTestId('chart-reconcile').textContent()) ?? '', /max 17 ms/);
  });

  await t.test('a standby is announced full width and its data marked stale', async () => {
    fake.role = 'standby';
    fake.pushStatus();
    const outage = page.getByTestId('outage');
    await outage.filter({ hasText: 'fake-1 is a standby' }).waitFor();
    assert.match((await outage.textContent()) ?? '', /No leader/);
    assert.equal(await page.locator('#app').getAttribute('data-stale'), 'true');
    assert.match((await groupRow.locator('.badge').first().textContent()) ?? '', /stale/);
    await browser?.screenshot('fake-07-standby');
    fake.role = 'leader';
    fake.pushStatus();
    await outage.waitFor({ state: 'hidden' });
  });

  await t.test('a manager that is gone is announced full width, the data marked stale', async () => {
    fake.down = true;
    fake.dropStreams();
    const outage = page.getByTestId('outage');
    await outage.filter({ hasText: 'Manager unreachable' }).waitFor();
    assert.equal(await page.locator('#app').getAttribute('data-stale'), 'true');
    const phase = (await groupRow.locator('.badge').first().textContent()) ?? '';
    assert.match(phase, /stale/);
    assert.doesNotMatch(phase, /^rolling$/);
    await browser?.screenshot('fake-08-unreachable');
    fake.down = false;
    await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
    await outage.waitFor({ state: 'hidden' });
    assert.equal(await page.locator('#app').getAttribute('data-stale'), 'false');
    // The requests made while it was gone failed, as they should; chromium logs each one.
    const problems = browser?.problems ?? [];
    problems.splice(0, problems.length, ...problems.filter((p) => !/ERR_EMPTY_RESPONSE/.test(p)));
  });

  await t.test('usable at 420 px: nothing wider than the screen', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await browser?.screenshot('fake-09-1280');
    await page.setViewportSize({ width: 420, height: 900 });
    await page.click('#instances-body tr[data-instance="i-1"] td.num');
    await page.getByTestId('instance-panel').waitFor();
    const overflow = (await page.evaluate(`(() => {
      const root = document.documentElement;
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1 && !e.closest('.table-wrap, .code'))
        .map((e) => e.tagName + '#' + e.id + '.' + e.className)
        .slice(0, 5);
      return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide };
    })()`)) as { scrollWidth: number; clientWidth: number; wide: string[] };
    assert.ok(overflow.scrollWidth <= overflow.clientWidth, JSON.stringify(overflow));
    assert.deepEqual(overflow.wide, []);
    await browser?.screenshot('fake-10-420');
    await page.click('[data-filter="instance"] button');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  await t.test("a viewer's forced scale shows the server's 403", async () => {
    await forceScale(page, 5);
    await banner.filter({ hasText: 'Scale refused (403 forbidden): this needs the operator role' }).waitFor();
    assert.deepEqual(fake.posts, []);
    await browser?.screenshot('fake-02-refused');
  });

  await t.test('a revoked token returns to the login form', async () => {
    fake.tokens.delete('viewer-secret');
    fake.dropStreams();
    await page.getByTestId('login-error').filter({ hasText: 'no longer accepted' }).waitFor();
    assert.equal(await page.evaluate(`sessionStorage.getItem('tend.token')`), null);
  });

  const dialog = page.getByTestId('confirm-dialog');

  await t.test('an operator undoes the last change after confirming in the dialog', async () => {
    await page.fill('#token', 'admin-secret');
    await page.click('#login-form button[type=submit]');
    await page.getByTestId('whoami').filter({ hasText: 'ada' }).waitFor();
    await page.locator('#undo:not([disabled])').click();
    await dialog.filter({ hasText: 'back to revision #1' }).waitFor();
    await page.click('#confirm-cancel');
    await dialog.waitFor({ state: 'hidden' });
    assert.deepEqual(fake.posts, []);
    await page.click('#undo');
    await page.click('#confirm-ok');
    await banner.filter({ hasText: 'web rolling back to revision 1' }).waitFor();
    assert.deepEqual(fake.posts, ['ada rollout/undo']);
    await page.locator('[data-testid="revisions"] li[data-revision="3"]').waitFor();
    assert.match((await page.getByTestId('spec-yaml').textContent()) ?? '', /run v1/);
  });

  await t.test('an admin destroys after confirming in a styled dialog, not confirm()', async () => {
    const native: string[] = [];
    const onDialog = (d: { message(): string; dismiss(): Promise<void> }) => {
      native.push(d.message());
      void d.dismiss();
    };
    page.on('dialog', onDialog);
    await page.click('#destroy');
    await dialog.filter({ hasText: 'Destroy group web?' }).waitFor();
    await browser?.screenshot('fake-03-confirm');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.deepEqual(fake.posts, ['ada rollout/undo']);
    await page.click('#destroy');
    await page.click('#confirm-ok');
    await banner.filter({ hasText: 'Destroying web' }).waitFor();
    assert.deepEqual(fake.posts, ['ada rollout/undo', 'ada destroy']);
    page.off('dialog', onDialog);
    assert.deepEqual(native, [], 'no browser confirm() was shown');
    await browser?.screenshot('fake-03-admin');
  });

  await t.test('the page ran without script errors or CSP violations', () => {
    assert.deepEqual(browser?.problems, []);
  });
});
