// Reads every import in src/ and fails on a direction ARCHITECTURE.md §9 forbids, on reaching
// into another folder past its index.ts, and on any cycle between files. The last tests plant a
// small tree with each kind of fault and check that the same checker reports it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { directionViolations, fileCycles, importEdges, indexViolations } from './imports.js';

const src = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../src');
const edges = importEdges(src);

test('imports flow one way (ARCHITECTURE.md §9)', () => {
  assert.deepEqual(directionViolations(edges), []);
});

test('other folders are reached only through their index.ts', () => {
  assert.deepEqual(indexViolations(edges), []);
});

test('no files import each other in a circle', () => {
  assert.deepEqual(fileCycles(edges), []);
});

const planted = mkdtempSync(join(tmpdir(), 'tend-imports-'));
after(() => rmSync(planted, { recursive: true, force: true }));

function plant(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(planted, path)), { recursive: true });
    writeFileSync(join(planted, path), text);
  }
}

plant({
  'spi/index.ts': 'export type Id = string;\n',
  // The light client may not load the HTTP server (api/server is a folder of its own).
  'api/index.ts': "export { serve } from './server/index.js';\n",
  'api/server/index.ts': 'export const serve = 1;\n',
  'group/index.ts': "export { plan } from './plan.js';\n",
  // group may not import plugins (ARCHITECTURE.md §9), nor reach past lib's index.
  'group/plan.ts':
    "import { run } from '../plugins/instance/x/run.js';\nimport { q } from '../lib/queue.js';\nexport const plan = () => run(q);\n",
  'lib/index.ts': "export { q } from './queue.js';\n",
  'lib/queue.ts': "import { b } from './b.js';\nexport const q = b;\n",
  'lib/b.ts': "import type { Q } from './c.js';\nexport const b: Q = 1;\n",
  'lib/c.ts': "import { q } from './queue.js';\nexport type Q = typeof q;\n",
  'plugins/instance/x/run.ts':
    "import type { Id } from '../../../spi/index.js';\nexport const run = (x: unknown): Id => String(x);\n",
});
const plantedEdges = importEdges(planted);

test('the checker sees a forbidden direction in a planted tree', () => {
  assert.deepEqual(directionViolations(plantedEdges), [
    'api/index.ts imports api/server/index.ts',
    'group/plan.ts imports plugins/instance/x/run.ts',
  ]);
});

test('the checker sees a reach past index.ts in a planted tree', () => {
  assert.deepEqual(indexViolations(plantedEdges), [
    'group/plan.ts imports plugins/instance/x/run.ts (use plugins/instance/x/index.js)',
    'group/plan.ts imports lib/queue.ts (use lib/index.js)',
  ]);
});

test('the checker sees a file cycle (through a type-only import too) in a planted tree', () => {
  assert.deepEqual(fileCycles(plantedEdges), [['lib/b.ts', 'lib/c.ts', 'lib/queue.ts']]);
});
