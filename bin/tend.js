#!/usr/bin/env node
// Runs the compiled CLI when it is up to date with the sources (`npm run build`), otherwise the
// TypeScript sources through tsx: a stale build would run code that is no longer there.
import module, { register } from 'node:module';
import { freshBuild } from '../scripts/source-freshness.mjs';

// Node >= 22 keeps compiled bytecode between runs (about a third of a short command's start-up).
module.enableCompileCache?.();
const compiled = freshBuild();
if (compiled !== null) {
  await import(compiled);
} else {
  register('tsx/esm', import.meta.url);
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
