import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** One file of the dashboard, held in memory with what its response headers need. */
export interface DashboardAsset {
  body: Buffer;
  contentType: string;
  /** Strong validator from the content, so a browser revalidates cheaply with If-None-Match. */
  etag: string;
  /** The same bytes gzipped once at load (text files shrink to about a third), with its own ETag. */
  gzip?: { body: Buffer; etag: string };
}

/**
 * Every file the dashboard serves, by name. The list is fixed: nothing outside it is ever read,
 * so no request path can reach another file.
 */
const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'banner.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'views.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'actions.js': 'text/javascript; charset=utf-8',
  'dialog.js': 'text/javascript; charset=utf-8',
  'instances-table.js': 'text/javascript; charset=utf-8',
  'instance-view.js': 'text/javascript; charset=utf-8',
  'live.js': 'text/javascript; charset=utf-8',
  'outage.js': 'text/javascript; charset=utf-8',
  'panels.js': 'text/javascript; charset=utf-8',
  'spec-view.js': 'text/javascript; charset=utf-8',
  'yaml.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

export function loadDashboardAssets(dir = assetDir()): ReadonlyMap<string, DashboardAsset> {
  const assets = new Map<string, DashboardAsset>();
  for (const [name, contentType] of Object.entries(FILES)) {
    const body = readFileSync(join(dir, name));
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 22);
    const gzipped = gzipSync(body, { level: 9 });
    assets.set(name, {
      body,
      contentType,
      etag: `"${hash}"`,
      ...(gzipped.length < body.length ? { gzip: { body: gzipped, etag: `"${hash}-gz"` } } : {}),
    });
  }
  return assets;
}

/**
 * `assets/` beside this module when running from source. `tsc` copies no asset files, so a
 * compiled build (dist/src/web) reads them from the source tree it was built from — the same way
 * `tend up` finds examples/.
 */
function assetDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'assets');
  if (existsSync(join(beside, 'index.html'))) return beside;
  let dir = here;
  for (let i = 0; i < 5; i++) {
    dir = dirname(dir);
    const candidate = join(dir, 'src', 'web', 'assets');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  throw new Error(`dashboard assets not found beside ${here} or in a src/web/assets above it`);
}
