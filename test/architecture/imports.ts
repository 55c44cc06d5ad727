// The import graph of a source tree, and the three rules the architecture tests hold it to:
// imports flow one way between top-level folders (ARCHITECTURE.md §9), another folder is reached
// only through its index.ts, and no file cycle exists anywhere. Written against a root directory
// so the tests can run it on a planted tree as well as on src/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Which folders each folder may import from (besides itself). `api/server` (the manager's HTTP
 * face) counts as a folder of its own, so the light client in `api/` can never load it.
 */
export const allowed: Record<string, readonly string[]> = {
  spi: [],
  api: ['spi'],
  lib: ['spi'],
  auth: ['spi', 'api', 'lib'],
  'api/server': ['spi', 'api', 'lib', 'auth'],
  rpc: ['spi', 'lib'],
  contract: ['spi', 'lib'],
  group: ['spi', 'lib'],
  store: ['spi', 'lib'],
  leadership: ['spi', 'lib', 'rpc'],
  plugins: ['spi', 'lib', 'rpc'],
  manager: ['spi', 'api', 'api/server', 'auth', 'lib', 'group', 'store', 'leadership', 'rpc'],
  web: ['spi', 'api', 'lib', 'manager'],
  cli: ['spi', 'api', 'lib', 'rpc', 'contract', 'group', 'store', 'leadership', 'plugins', 'manager', 'web'],
};

/** One relative import: the importing file and the file it names, both relative to the root. */
export interface Edge {
  from: string;
  to: string;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function specifiersOf(file: string): string[] {
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

/** Every relative import under `root` (tests excluded), targets written as `.ts` files. */
export function importEdges(root: string): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(root)) {
    for (const spec of specifiersOf(file)) {
      const to = relative(root, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
      edges.push({ from: relative(root, file), to });
    }
  }
  return edges;
}

/** Sub-folders that are folders of their own for both rules (see `allowed`). */
const subFolders: readonly string[] = ['api/server'];

/**
 * `plugins/instance/process/x.ts` → unit `plugins/instance/process`; `api/server/x.ts` →
 * `api/server`; other folders → top level.
 */
export function unitOf(relPath: string): string {
  const parts = relPath.split('/');
  if (parts[0] === 'plugins') return parts.slice(0, 3).join('/');
  return parts.length > 1 ? top(relPath) : '';
}

/** The folder a file counts in for `allowed`: its top-level folder, or one of `subFolders`. */
function top(path: string): string {
  const parts = path.split('/');
  const two = parts.slice(0, 2).join('/');
  return parts.length > 2 && subFolders.includes(two) ? two : (parts[0] ?? '');
}

export function directionViolations(edges: readonly Edge[]): string[] {
  return edges
    .filter(({ from, to }) => top(to) !== top(from) && !to.startsWith('..'))
    .filter(({ from, to }) => !(allowed[top(from)] ?? []).includes(top(to)))
    .map(({ from, to }) => `${from} imports ${to}`);
}

export function indexViolations(edges: readonly Edge[]): string[] {
  return edges
    .filter(({ from, to }) => unitOf(to) !== unitOf(from) && !to.startsWith('..'))
    .filter(({ to }) => to !== `${unitOf(to)}/index.ts`)
    .map(({ from, to }) => `${from} imports ${to} (use ${unitOf(to)}/index.js)`);
}

/** Every set of files that import each other in a circle (Tarjan's strongly connected components). */
export function fileCycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file) ?? 0);
    stack.push(file);
    onStack.add(file);
    for (const to of next.get(file) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(to) ?? 0));
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file) ?? 0, index.get(to) ?? 0));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === file) break;
    }
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const file of next.keys()) if (!index.has(file)) visit(file);
  return cycles;
}
