#!/usr/bin/env node
// Runs the compiled CLI when it is up to date with the sources (`npm run build`), otherwise the
// TypeScript sources through tsx: a stale build would run code that is no longer there.
import module from 'node:module';
import { freshBuild } from '../scripts/source-freshness.mjs';

// Node >= 22 keeps compiled bytecode between runs (about a third of a short command's start-up).
module.enableCompileCache?.();
const compiled = freshBuild();
if (compiled !== null) {
  await import(compiled);
} else {
  // tsx's own API: `module.register('tsx/esm')` is refused on Node 20 ("must be loaded with --import").
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
