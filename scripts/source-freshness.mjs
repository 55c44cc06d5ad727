// Whether dist/ is older than the sources it is built from. Shared by `npm start` (build only when
// stale) and bin/tend.js (never run a stale build): a walk of ~300 files costs a few ms.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const STAMP = join(root, 'dist', 'src', 'cli', 'main.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The compiled CLI's path when it is at least as new as every source file (and tsconfig), else null. */
export function freshBuild() {
  let built;
  try {
    built = statSync(STAMP).mtimeMs;
  } catch {
    return null;
  }
  const sources = Math.max(
    newestMtime(join(root, 'src')),
    statSync(join(root, 'tsconfig.build.json')).mtimeMs,
  );
  return built >= sources ? STAMP : null;
}
