#!/usr/bin/env node
// `npm start` runs this first: `tsc` only when a source changed since the last build (a full build
// takes tens of seconds on a loaded machine; most starts change nothing).
import { spawnSync } from 'node:child_process';
import { freshBuild } from './source-freshness.mjs';

if (freshBuild() === null) {
  const tsc = new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname;
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
    cwd: new URL('..', import.meta.url).pathname,
  });
  process.exit(result.status ?? 1);
}
