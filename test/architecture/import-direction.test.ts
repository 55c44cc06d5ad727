// Reads every import in src/ and fails on a direction ARCHITECTURE.md §9 forbids, and on
// reaching into another folder past its index.ts.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const src = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../src');

/** Which top-level folders each folder may import from (besides itself). */
const allowed: Record<string, readonly string[]> = {
  spi: [],
  api: ['spi'],
  lib: ['spi'],
  rpc: ['spi', 'lib'],
  contract: ['spi', 'lib'],
  group: ['spi', 'lib'],
  store: ['spi', 'lib'],
  leadership: ['spi', 'lib', 'rpc'],
  plugins: ['spi', 'lib', 'rpc'],
  manager: ['spi', 'api', 'lib', 'group', 'store', 'leadership', 'rpc'],
  web: ['spi', 'api', 'lib', 'manager'],
  cli: ['spi', 'api', 'lib', 'rpc', 'contract', 'group', 'store', 'leadership', 'plugins', 'manager', 'web'],
};

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(
    /(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
  )) {
    const spec = match[1] ?? match[2];
    if (spec?.startsWith('.')) specifiers.push(spec);
  }
  return specifiers;
}

/** `plugins/instance/process/x.ts` → unit `plugins/instance/process`; other folders → top level. */
function unitOf(relPath: string): string {
  const parts = relPath.split('/');
  if (parts[0] === 'plugins') return parts.slice(0, 3).join('/');
  return parts.length > 1 ? (parts[0] ?? '') : '';
}

test('imports flow one way (ARCHITECTURE.md §9)', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = relative(src, file);
    const fromTop = from.split('/')[0] ?? '';
    for (const spec of importsOf(file)) {
      const target = relative(src, resolve(dirname(file), spec));
      const toTop = target.split('/')[0] ?? '';
      if (toTop === fromTop || target.startsWith('..')) continue;
      if (!(allowed[fromTop] ?? []).includes(toTop)) violations.push(`${from} imports ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('other folders are reached only through their index.ts', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = relative(src, file);
    for (const spec of importsOf(file)) {
      const target = relative(src, resolve(dirname(file), spec));
      if (unitOf(target) === unitOf(from) || target.startsWith('..')) continue;
      const targetUnit = unitOf(target);
      if (target !== `${targetUnit}/index.js` && target !== `${targetUnit}/index.ts`) {
        violations.push(`${from} imports ${target} (use ${targetUnit}/index.js)`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('the checker sees a forbidden import', () => {
  // Guards the guard: the rule table must reject group → plugins.
  assert.equal((allowed.group ?? []).includes('plugins'), false);
  assert.equal(unitOf('plugins/instance/process/plugin.ts'), 'plugins/instance/process');
});
