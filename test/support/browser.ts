// Drives Debian's chromium through playwright-core for the dashboard's browser tests: a fresh
// profile per launch, screenshots into test-artifacts/, and cleanup that runs even after a failure.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const root = new URL('../..', import.meta.url).pathname;
export const ARTIFACTS = join(root, 'test-artifacts', 'dashboard');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Why the browser tests cannot run here, or undefined when they can. A developer's box without
 * chromium skips with this reason; CI (CI=true) installs chromium, so there a missing binary is a
 * failure, never a silent skip.
 */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `${CHROMIUM} is missing (apt-get install chromium)`;
  if (process.env.CI === 'true') throw new Error(`browser tests must run in CI: ${reason}`);
  return reason;
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors, e.g. a CSP violation or a script failing to load. */
  problems: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<BrowserSession> {
  const profile = await mkdtemp(join(tmpdir(), 'tend-chromium-'));
  await mkdir(ARTIFACTS, { recursive: true });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1440, height: 900 },
      // A loaded CI machine can be slow to hand out the first frame; this is a hang guard only.
      timeout: 120_000,
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  // Hang guards for a loaded CI machine, not timing assertions.
  context.setDefaultTimeout(120_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Refused API calls (401/403) are logged by chromium as failed resources; they are expected.
    // So is a 404 for an instance's log from a manager that does not serve logs (the page says so).
    const text = message.text();
    const expected =
      /status of 40[13]/.test(text) ||
      (/status of 404/.test(text) && /\/logs(\?|$)/.test(message.location().url));
    if (message.type() === 'error' && !expected) {
      problems.push(`console: ${message.text()}`);
    }
  });
  let closed = false;
  return {
    context,
    page,
    problems,
    async screenshot(name) {
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
      } finally {
        await rm(profile, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Submits the dashboard's scale form even though the page disabled it for this role — what a
 * user could do with dev tools — so the server's refusal, not the page's, is what gets tested.
 * One synchronous step: a live update re-renders (and re-disables) the controls at any moment.
 */
export async function forceScale(page: Page, size: number): Promise<void> {
  await page.evaluate(`(() => {
    const input = document.getElementById('scale-size');
    input.disabled = false;
    input.value = '${size}';
    input.dispatchEvent(new Event('input'));
    document.getElementById('scale-form').requestSubmit();
  })()`);
}
