import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CONTENT_SECURITY_POLICY, createDashboardHandler } from './index.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A server that answers what the handler leaves alone with 418, so "not handled" is visible. */
async function serve(basePath?: string): Promise<{ server: Server; get: typeof get }> {
  const handler = createDashboardHandler(basePath === undefined ? {} : { basePath });
  const server = createServer((req, res) => {
    handler(req, res).then(
      (handled) => {
        if (!handled) res.writeHead(418).end('not mine');
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  // node:http sends the path exactly as given; fetch would normalize away the traversal attempts.
  function get(path: string, options: { method?: string; headers?: Record<string, string> } = {}) {
    return new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers ?? {} },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
  return { server, get };
}

describe('dashboard handler', () => {
  let server: Server;
  let get: Awaited<ReturnType<typeof serve>>['get'];
  before(async () => {
    ({ server, get } = await serve());
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('serves the page with strict security headers', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(page.body, /<script type="module" src="app.js"><\/script>/);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe/);
    assert.equal((await get('/index.html?x=1')).body, page.body);
  });

  test('every file the page and its modules reference is served with its type', async () => {
    const page = (await get('/')).body;
    const referenced = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    assert.deepEqual(referenced.sort(), ['app.css', 'app.js', 'favicon.svg']);
    assert.doesNotMatch(page, /<script>|<style|style="/, 'nothing inline: the CSP would block it');
    const types: Record<string, string> = { css: 'text/css', js: 'text/javascript', svg: 'image/svg+xml' };
    const seen = new Set<string>();
    const queue = [...referenced];
    while (queue.length > 0) {
      const name = queue.pop() ?? '';
      if (seen.has(name)) continue;
      seen.add(name);
      const answer = await get(`/${name}`);
      assert.equal(answer.status, 200, name);
      assert.ok(String(answer.headers['content-type']).startsWith(types[name.split('.').pop() ?? ''] ?? '?'));
      for (const m of answer.body.matchAll(/from '\.\/([a-z-]+\.js)'/g)) queue.push(m[1] ?? '');
    }
    for (const module of ['views.js', 'api.js', 'dom.js', 'banner.js']) assert.ok(seen.has(module), module);
  });

  test('revalidation answers 304 while the ETag matches; HEAD has no body', async () => {
    const first = await get('/app.js');
    const etag = String(first.headers.etag);
    const again = await get('/app.js', { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    const head = await get('/app.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(Number(head.headers['content-length']), Buffer.byteLength(first.body));
  });

  test('text files are sent gzipped to browsers that accept it', async () => {
    const plain = await get('/app.js');
    assert.equal(plain.headers['content-encoding'], undefined);
    const zipped = await get('/app.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.vary, 'accept-encoding');
    assert.notEqual(zipped.headers.etag, plain.headers.etag);
    assert.ok(Number(zipped.headers['content-length']) < Buffer.byteLength(plain.body));
    const refused = await get('/app.js', { headers: { 'accept-encoding': 'gzip;q=0, identity' } });
    assert.equal(refused.headers['content-encoding'], undefined);
  });

  test('anything not in the fixed file map is left to the caller', async () => {
    for (const path of [
      '/nope',
      '/v1/status',
      '/assets/app.js',
      '/../package.json',
      '/%2e%2e/%2e%2e/package.json',
      '/..%2fpackage.json',
      '//etc/passwd',
      '//evil.example/app.js',
      '/app.js#x',
      '/app.js%00.html',
      '/dashboard-handler.ts',
      '/index.ts',
    ]) {
      assert.equal((await get(path)).status, 418, path);
    }
    assert.equal((await get('/', { method: 'POST' })).status, 418);
  });
});

test('a base path mounts the dashboard below it', async () => {
  const { server, get } = await serve('/ui');
  try {
    const bare = await get('/ui');
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.location, '/ui/');
    assert.equal((await get('/ui/')).status, 200);
    assert.equal((await get('/ui/app.css')).status, 200);
    assert.equal((await get('/')).status, 418);
    assert.equal((await get('/app.js')).status, 418);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('a base path that is not a plain path is refused', () => {
  for (const bad of ['ui/', '/a/../b/', '/a b/', '/ui?x', '/./']) {
    assert.throws(() => createDashboardHandler({ basePath: bad }), /basePath/, bad);
  }
});
