#!/usr/bin/env node
// `npm run bench -- NAME` runs bench/NAME.ts; with no name it lists the benchmarks.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(`${root}bench`)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
if (!name || !existsSync(`${root}bench/${name}.ts`)) {
  console.error(`usage: npm run bench -- NAME   (one of: ${available.join(', ') || 'none yet'})`);
  process.exit(name ? 1 : 0);
}
// --expose-gc: benchmarks that report heap bytes collect garbage before they read the heap.
const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', `bench/${name}.ts`, ...rest], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(result.status ?? 1);
