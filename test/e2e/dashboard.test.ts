// Issue #7 browser acceptance: Debian chromium (playwright-core) against a real `tend up` process
// running a group on the `process` plugin. A viewer signs in and watches the group converge live,
// sees an instance killed with SIGKILL and replaced in the timeline, and is refused a scale; an
// operator's scale goes through. Screenshots of each step land in test-artifacts/dashboard/.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ManagerClient } from '../../src/manager/index.js';
import { type BrowserSession, browserSkipReason, forceScale, launchBrowser } from '../support/browser.js';
import { e2eWorkspace, eventually, liveInstances, ManagerProcess } from '../support/manager.js';

const spec = (size: number) => `
groups:
  - id: workers
    allocation: { size: ${size} }
    instance: { plugin: process }
    flavor:
      plugin: vanilla
      properties:
        init:
          - echo worker up
          - while true; do sleep 1; done
        tags: { role: worker }
    health: { grace: 1s, unhealthyAfter: 2s, maxInFlight: 2 }
`;

const skip = browserSkipReason();
let workspace: Awaited<ReturnType<typeof e2eWorkspace>> | undefined;
let manager: ManagerProcess;
let admin: ManagerClient;
let browser: BrowserSession | undefined;
const tokens = { viewer: '', operator: '' };

before(async () => {
  if (skip !== undefined) return;
  workspace = await e2eWorkspace('dashboard');
  // `tend up` saves its first admin token under $TEND_HOME; keep it inside the workspace. Each
  // test file runs in its own process, so this reaches only the manager started here.
  process.env.TEND_HOME = workspace.dir;
  manager = await ManagerProcess.start({
    name: 'dash',
    dir: workspace.dir,
    stateDir: workspace.stateDir,
    tickIntervalMs: 200,
  });
  workspace.managers.push(manager);
  const adminToken = (await readFile(join(workspace.dir, 'admin.token'), 'utf8')).trim();
  admin = new ManagerClient({ url: manager.url, token: adminToken });
  tokens.viewer = (await admin.createToken('vera', 'viewer')).token;
  tokens.operator = (await admin.createToken('otto', 'operator')).token;
  await eventually('the manager to lead', async () =>
    (await admin.leader()).self.role === 'leader' ? true : undefined,
  );
  browser = await launchBrowser();
});

after(async () => {
  try {
    // The last state on screen, for whoever reads a failure.
    await browser?.screenshot('99-last').catch(() => undefined);
    await browser?.close();
  } finally {
    await workspace?.cleanup();
  }
});

async function signIn(page: BrowserSession['page'], token: string, name: string): Promise<void> {
  await page.fill('#token', token);
  await page.click('#login-form button[type=submit]');
  await page.getByTestId('whoami').filter({ hasText: name }).waitFor();
  await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
}

/** The numbers the page shows for the group, read from the DOM. */
async function shown(page: BrowserSession['page']) {
  const row = page.locator('tr[data-group="workers"]');
  return {
    healthy: Number(await row.getByTestId('healthy').textContent()),
    desired: Number(await row.getByTestId('desired').textContent()),
    instances: await page.locator('#instances-body tr').count(),
  };
}

test('dashboard on a real manager: live convergence, healing, roles', {
  skip: skip ?? false,
  timeout: 600_000,
}, async (t) => {
  assert.ok(browser);
  const { page } = browser;
  const row = page.locator('tr[data-group="workers"]');

  await t.test('a viewer signs in before any group exists', async () => {
    await page.goto(manager.url);
    await page.locator('#login-form').waitFor();
    await browser?.screenshot('01-login');
    await signIn(page, tokens.viewer, 'vera');
    assert.match((await page.getByTestId('whoami').textContent()) ?? '', /vera\s*viewer/);
    assert.match((await page.getByTestId('leader').textContent()) ?? '', /Leader\s*dash/);
    assert.equal(await row.count(), 0);
  });

  await t.test('the group converges live on the page', async () => {
    // Applied behind the page's back: only the event stream can bring it to the screen.
    await admin.apply(spec(3), { reason: 'dashboard e2e' });
    await row.waitFor();
    await browser?.screenshot('02-converging');
    await row.locator('.badge', { hasText: 'converged' }).waitFor();
    await eventually('the page to show 3 of 3 healthy', async () => {
      const now = await shown(page);
      return now.healthy === 3 && now.desired === 3 && now.instances === 3 ? now : undefined;
    });
    await page.locator('#timeline li[data-type="created"]').nth(2).waitFor();
    assert.equal(liveInstances(workspace?.stateDir ?? '', 'workers').length, 3);
    await browser?.screenshot('03-converged');
  });

  await t.test('an instance killed with SIGKILL is replaced, and the timeline says so', async () => {
    const before = liveInstances(workspace?.stateDir ?? '', 'workers');
    const victim = before[0];
    assert.ok(victim);
    process.kill(-victim.pid, 'SIGKILL');
    // The controller reports the victim as vanished, then creates its replacement.
    const ids = new Set(before.map((i) => i.id));
    const fresh = await eventually('a replacement process', () => {
      const found = liveInstances(workspace?.stateDir ?? '', 'workers').find((i) => !ids.has(i.id));
      return found;
    });
    await page.locator(`#timeline li[data-type="vanished"][data-instance="${victim.id}"]`).waitFor();
    await page.locator(`#timeline li[data-type="created"][data-instance="${fresh.id}"]`).waitFor();
    await page.locator(`#instances-body tr[data-instance="${victim.id}"]`).waitFor({ state: 'detached' });
    await eventually('the page to show 3 of 3 healthy again', async () => {
      const now = await shown(page);
      return now.healthy === 3 && now.desired === 3 && now.instances === 3 ? now : undefined;
    });
    const createdAfterKill = await page
      .locator('#timeline li[data-type="created"]')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-instance')));
    assert.ok(createdAfterKill.length >= 4, 'three at start, then the replacement');
    assert.ok(createdAfterKill.includes(fresh.id));
    await browser?.screenshot('04-replaced');
    // Filtering by the new instance keeps only its story, and marks its row.
    await page.locator(`#timeline li[data-instance="${fresh.id}"] button.link`).first().click();
    await page.locator('[data-filter="instance"]').waitFor();
    const story = await page
      .locator('#timeline li')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-instance')));
    assert.ok(story.length >= 1 && story.every((id) => id === fresh.id), story.join(', '));
    // Waited for, not counted at once: the instance table is redrawn from its page after each
    // status, and the filter's mark may land on the next draw (it must survive it).
    await page.locator(`#instances-body tr.selected[data-instance="${fresh.id}"]`).waitFor();
    assert.equal(await page.locator(`#instances-body tr.selected[data-instance="${fresh.id}"]`).count(), 1);
    await browser?.screenshot('05-instance-timeline');
    await page.click('[data-filter="instance"] button');
  });

  await t.test("a viewer's scale is refused", async () => {
    assert.equal(await page.locator('#scale').isDisabled(), true);
    assert.match((await page.locator('#actions-note').textContent()) ?? '', /role is viewer/);
    assert.equal(await page.locator('#destroy').isVisible(), false);
    // The request the page would make, with the page's own token: the server says no.
    const answer = (await page.evaluate(`(async () => {
      const response = await fetch('/v1/groups/workers/scale', {
        method: 'POST',
        headers: {
          authorization: 'Bearer ' + sessionStorage.getItem('tend.token'),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ size: 5 }),
      });
      return { status: response.status, body: await response.json() };
    })()`)) as { status: number; body: { error?: { kind?: string; message?: string } } };
    assert.equal(answer.status, 403);
    assert.match(answer.body.error?.message ?? '', /operator/);
    // And forced through the disabled form (as dev tools allow), the refusal is on screen.
    await forceScale(page, 5);
    await page.getByTestId('banner').filter({ hasText: 'Scale refused (403' }).waitFor();
    assert.match((await page.getByTestId('banner').textContent()) ?? '', /operator/);
    await browser?.screenshot('06-viewer-refused');
    assert.equal((await admin.group('workers')).status?.desired, 3);
  });

  await t.test("an operator's scale works", async () => {
    await page.click('#logout');
    await page.locator('#login-form').waitFor();
    await signIn(page, tokens.operator, 'otto');
    assert.equal(await page.locator('#scale').isDisabled(), false);
    await page.fill('#scale-size', '4');
    await page.click('#scale');
    await page.getByTestId('banner').filter({ hasText: 'Scaling workers to 4' }).waitFor();
    await eventually('the page to show 4 of 4 healthy', async () => {
      const now = await shown(page);
      return now.healthy === 4 && now.desired === 4 && now.instances === 4 ? now : undefined;
    });
    assert.equal((await admin.group('workers')).status?.desired, 4);
    assert.equal(liveInstances(workspace?.stateDir ?? '', 'workers').length, 4);
    // The commit itself is on the timeline, naming the revision and the token that asked.
    const commit = page.locator('#timeline li[data-type="committed"]').filter({ hasText: 'scale to 4' });
    await commit.waitFor();
    assert.match((await commit.textContent()) ?? '', /revision 2 by \S+ \(token otto\): scale to 4/);
    await browser?.screenshot('07-operator-scaled');
  });

  await t.test("the real manager's history, charts and an instance up close", async () => {
    // Revision 1 is the apply, revision 2 the operator's scale: the diff says exactly that.
    const spec = page.getByTestId('spec');
    await spec.locator('[data-testid="revisions"] li[data-revision="2"]').waitFor();
    assert.match((await spec.getByTestId('spec-yaml').textContent()) ?? '', /allocation:\n {2}size: 4\n/);
    await spec.locator('li[data-revision="1"] [data-testid="diff-from"]').click();
    const diff = spec.getByTestId('spec-diff');
    assert.deepEqual(await diff.locator('.del').allTextContents(), ['-   size: 3\n']);
    assert.deepEqual(await diff.locator('.add').allTextContents(), ['+   size: 4\n']);
    assert.equal(await page.locator('#undo').isDisabled(), false, 'an operator may undo');
    // The manager's own ring: at least the open interval, with this group's counts in it.
    const health = page.getByTestId('chart-health');
    // Attached, not visible: a flat series (healthy constant over the hour) is a polyline with a
    // zero-height bounding box, which Playwright calls hidden although it is drawn.
    await health.locator('polyline.healthy').waitFor({ state: 'attached' });
    await health.filter({ hasText: /now \d+ \/ 4/ }).waitFor();
    const live = liveInstances(workspace?.stateDir ?? '', 'workers')[0];
    assert.ok(live);
    const id = live.id;
    await page.click(`#instances-body tr[data-instance="${id}"] td.num`);
    const panel = page.getByTestId('instance-panel');
    await panel.waitFor();
    assert.match((await panel.textContent()) ?? '', new RegExp(`Instance ${id}`));
    assert.match((await panel.getByTestId('instance-tags').textContent()) ?? '', /role=worker/);
    // Where it lives: the process plugin's PID, the one the test found on the machine.
    await panel
      .getByTestId('location')
      .filter({ hasText: String(live.pid) })
      .waitFor();
    // Its output through GET …/logs, as a tail and then followed.
    await panel.getByTestId('log').filter({ hasText: 'worker up' }).waitFor();
    await panel.locator('#log-follow').check();
    await panel.getByTestId('log-state').filter({ hasText: 'following' }).waitFor();
    await panel.getByTestId('log').filter({ hasText: 'worker up' }).waitFor();
    await browser?.screenshot('08-instance-and-history');
    await page.click('[data-filter="instance"] button');
  });

  await t.test('the page ran without script errors or CSP violations', () => {
    assert.deepEqual(browser?.problems, []);
  });
});
