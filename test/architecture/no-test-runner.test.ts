// The product must not carry test code: `tend --help` loads the whole CLI (every command's module
// graph) and must not load node:test. Read from Node's own list of loaded built-in modules, so
// the check sees transitive imports, not a grep of the sources. The second test proves the probe
// can fail: the same recorder around a script that does import node:test reports it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'tend-modules-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const recorder = join(dir, 'record.mjs');
writeFileSync(
  recorder,
  `import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.TEND_MODULE_LIST, JSON.stringify(process.moduleLoadList)));
`,
);

/** The built-in modules a node process loaded, as `process.moduleLoadList` names them. */
function loadedModules(args: readonly string[]): string[] {
  const out = join(dir, `list-${Math.random().toString(36).slice(2)}.json`);
  const run = spawnSync(process.execPath, ['--import', recorder, ...args], {
    cwd: root,
    env: { ...process.env, TEND_MODULE_LIST: out },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, `node ${args.join(' ')} failed: ${run.stderr}`);
  const list: unknown = JSON.parse(readFileSync(out, 'utf8'));
  assert.ok(Array.isArray(list));
  return list.map(String);
}

const testRunner = (name: string): boolean => name === 'NativeModule test' || name.includes('test_runner');

test('tend --help loads no node:test module', () => {
  // The sources through tsx: what bin/tend.js runs when dist/ is absent or stale.
  const loaded = loadedModules(['--import', 'tsx', 'src/cli/main.ts', '--help']);
  assert.ok(loaded.length > 50, 'the recorder saw the CLI start');
  assert.deepEqual(loaded.filter(testRunner), []);
});

test('the probe sees node:test when something loads it', () => {
  const loaded = loadedModules(['--input-type=module', '-e', "await import('node:test');"]);
  assert.ok(loaded.some(testRunner), 'node:test should appear in the list');
});
