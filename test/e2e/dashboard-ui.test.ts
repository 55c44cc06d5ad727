// The dashboard's behaviour in a real browser against a small fake of the manager's API (the
// routes and answers the manager serves), where the test controls every answer: live events,
// a dropped stream, a revoked token, a refused action, an admin's confirmed destroy, and text that
// must never become markup. The real manager process is driven in dashboard.test.ts.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { GroupEvent, GroupStatus } from '../../src/spi/index.js';
import { createDashboardHandler } from '../../src/web/index.js';
import { type BrowserSession, browserSkipReason, forceScale, launchBrowser } from '../support/browser.js';

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
    const self = { name: 'fake-1', role: 'leader', address: 'http://fake' };
    return { self, leader: { name: 'fake-1', epoch: 7 }, groups: [this.group] };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
      if (url.pathname === '/v1/events/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write(`event: status\ndata: ${JSON.stringify(this.status())}\n\n`);
        this.streams.add(res);
        req.on('close', () => this.streams.delete(res));
        return;
      }
    }
    const action = /^\/v1\/groups\/web\/(scale|rollout\/pause|rollout\/resume|destroy)$/.exec(
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
    send(res, 200, { ok: true, id: 'web', message: 'done' });
  }
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

  await t.test('an admin destroys after confirming', async () => {
    await page.fill('#token', 'admin-secret');
    await page.click('#login-form button[type=submit]');
    await page.getByTestId('whoami').filter({ hasText: 'ada' }).waitFor();
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.click('#destroy');
    assert.deepEqual(fake.posts, []);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#destroy');
    await banner.filter({ hasText: 'Destroying web' }).waitFor();
    assert.deepEqual(fake.posts, ['ada destroy']);
    await browser?.screenshot('fake-03-admin');
  });

  await t.test('the page ran without script errors or CSP violations', () => {
    assert.deepEqual(browser?.problems, []);
  });
});
