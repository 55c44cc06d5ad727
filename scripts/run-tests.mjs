#!/usr/bin/env node
// Finds every *.test.ts under src/ and test/ and runs them with node:test through tsx.
// Listing files ourselves keeps the command identical on Node 20 (no globs) and Node 24.
//
// Each file is its own `node --test` process, TEND_TEST_CONCURRENCY (default 2) at a time, its
// output printed whole when it ends, so two files never interleave and every block names its
// file. The end is a table of the slowest files: where CI's time goes, on every run.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));
const concurrency = Number(process.env.TEND_TEST_CONCURRENCY ?? 2);
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
  console.error(
    `run-tests: TEND_TEST_CONCURRENCY must be a whole number 1–64, got ${process.env.TEND_TEST_CONCURRENCY}`,
  );
  process.exit(1);
}

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const roots = unitOnly ? ['src'] : ['src', 'test'];
let files = roots.flatMap((r) => walk(join(root, r), [])).sort();
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}

// The slow files first (test/ holds the e2e and fault suites), so that the pool does not end on
// one long file running alone while the other slot idles.
files = [...files.filter((f) => f.startsWith('test/')), ...files.filter((f) => !f.startsWith('test/'))];

const reporter = process.stdout.isTTY ? 'spec' : 'tap';

/** The runner's own summary of one file (TAP `# pass N`, spec `ℹ pass N`), summed at the end. */
function countsOf(output) {
  const count = (name) => {
    const all = [...output.matchAll(new RegExp(`^(?:# |ℹ )${name} (\\d+)$`, 'gm'))];
    return all.length === 0 ? 0 : Number(all[all.length - 1][1]);
  };
  return { pass: count('pass'), fail: count('fail'), skipped: count('skipped'), todo: count('todo') };
}

/** One file in its own process: a hang guard per test, not a timing assertion. */
function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks = [];
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', `--test-reporter=${reporter}`, '--test-timeout=600000', file],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('close', (code, signal) => {
      const seconds = (Date.now() - started) / 1000;
      const ok = code === 0;
      process.stdout.write(
        `\n# ---- ${file}: ${ok ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`} in ${seconds.toFixed(1)} s ----\n`,
      );
      process.stdout.write(Buffer.concat(chunks));
      resolve({ file, seconds, ok, counts: countsOf(Buffer.concat(chunks).toString('utf8')) });
    });
  });
}

/**
 * Files that each start a whole swarm of Docker Engines (three dockerds in network namespaces)
 * run one at a time: two at once on two cores starved both (an engine restart outliving its
 * test's patience), while either beside a lighter file is fine.
 */
const exclusiveGroup = (file) => (file.startsWith('test/e2e/swarm') ? 'swarm' : undefined);
const runningGroups = new Set();
const waiters = [];

/** The next file whose group is not running, removed from the queue; undefined when none is left. */
async function takeFile() {
  for (;;) {
    if (files.length === 0) return undefined;
    const index = files.findIndex((f) => !runningGroups.has(exclusiveGroup(f)));
    if (index !== -1) return files.splice(index, 1)[0];
    await new Promise((resolve) => waiters.push(resolve));
  }
}

const started = Date.now();
const results = [];
await Promise.all(
  Array.from({ length: Math.min(concurrency, files.length) }, async () => {
    for (let file = await takeFile(); file !== undefined; file = await takeFile()) {
      const group = exclusiveGroup(file);
      if (group !== undefined) runningGroups.add(group);
      results.push(await runFile(file));
      if (group !== undefined) runningGroups.delete(group);
      for (const wake of waiters.splice(0)) wake();
    }
  }),
);

const failed = results.filter((r) => !r.ok);
const slowest = [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 20);
console.log(
  `\n# ${results.length} test files, ${concurrency} at a time, in ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
console.log('# slowest files (wall time, machine load included):');
for (const r of slowest) console.log(`#   ${r.seconds.toFixed(1).padStart(7)} s  ${r.file}`);
if (failed.length > 0) {
  console.log(`# FAILED: ${failed.length} file(s)`);
  for (const r of failed) console.log(`#   ${r.file}`);
}
// One closing line over every file, in the plain form CI reads ('N passed, N failed, N skipped').
const total = { pass: 0, fail: 0, skipped: 0, todo: 0 };
for (const r of results) for (const k of Object.keys(total)) total[k] += r.counts[k];
// A file that failed without a summary (a crash, a hang guard) still counts as a failure.
const unsummarised = failed.filter((r) => r.counts.fail === 0).length;
console.log(`# todo ${total.todo}`);
console.log(`${total.pass} passed, ${total.fail + unsummarised} failed, ${total.skipped} skipped`);
process.exit(failed.length === 0 ? 0 : 1);
