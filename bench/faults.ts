// The randomized fault campaign (issue #10): seeds 1..N, alternating the file setup (one manager,
// file store, static leadership) and the etcd setup (two managers on one real etcd), each seed a
// few operations with one fault injected into each (see test/faults/); seeds share a world while
// it stays clean, and `--seed N` runs one seed alone in a fresh one. Checks the
// invariants against the processes really alive on this machine. Prints one line per seed, a table
// per fault kind and per invariant, a reproduction command per violating seed, and ends with one
// JSON line. Clock: wall time (Date.now). Not a timing benchmark: the time is reported so the run
// can be planned, the result is the violation count.
//   npm run bench -- faults [--seeds 200] [--first 1] [--setup file|etcd|both] [--steps 5]
//   npm run bench -- faults --seed 1234 --setup file        (one seed again, with its log)
//   [--faults kill-manager,pause-manager]                   (only these fault kinds)

import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { freshBuild } from '../scripts/source-freshness.mjs';
import { createWorld, reproduction, runSeed, type SeedResult, type World } from '../test/faults/campaign.js';
import { type FaultKind, faultKinds } from '../test/faults/faults.js';
import { etcdAvailable, startEtcdCluster } from '../test/support/etcd.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '200' },
    first: { type: 'string', default: '1' },
    seed: { type: 'string' },
    setup: { type: 'string', default: 'both' },
    steps: { type: 'string', default: '5' },
    'max-minutes': { type: 'string', default: '30' },
    faults: { type: 'string' },
  },
});

const steps = Number(values.steps);
const setupChoice = values.setup;
if (setupChoice !== 'file' && setupChoice !== 'etcd' && setupChoice !== 'both') {
  console.error(`--setup: expected file, etcd or both, got ${setupChoice}`);
  process.exit(2);
}
const seeds =
  values.seed === undefined
    ? Array.from({ length: Number(values.seeds) }, (_, i) => Number(values.first) + i)
    : [Number(values.seed)];
if (seeds.some((s) => !Number.isInteger(s)) || !Number.isInteger(steps) || steps < 1) {
  console.error('--seeds, --first, --seed and --steps take whole numbers (steps ≥ 1)');
  process.exit(2);
}
const only = values.faults?.split(',').map((f) => f.trim()) as FaultKind[] | undefined;
const unknown = only?.filter((f) => !(faultKinds as readonly string[]).includes(f)) ?? [];
if (unknown.length > 0) {
  console.error(`--faults: unknown kind ${unknown.join(', ')} (kinds: ${faultKinds.join(', ')})`);
  process.exit(2);
}
const setupOf = (seed: number) => (setupChoice === 'both' ? (seed % 2 === 0 ? 'etcd' : 'file') : setupChoice);
const needsEtcd = seeds.some((s) => setupOf(s) === 'etcd');
if (needsEtcd && !etcdAvailable()) {
  console.error('the etcd setup needs /usr/bin/etcd (apt-get install etcd-server); use --setup file');
  process.exit(2);
}

const deadline = Date.now() + Number(values['max-minutes']) * 60_000;
const load = loadavg()[0]?.toFixed(2);
console.log(`fault campaign: ${seeds.length} seeds, ${steps} steps each, setup ${setupChoice}; load ${load}`);
// A build older than the sources is never run (bin/tend.js): the managers then load through tsx.
const compiled = freshBuild() !== null;
console.log(
  `managers run ${!compiled ? 'the sources through tsx (run `npm run build` for what operators run)' : 'the compiled build (dist/, up to date)'}`,
);
const etcd = needsEtcd ? await startEtcdCluster({ members: 1 }) : undefined;
const results: SeedResult[] = [];
const worlds = new Map<string, World | undefined>();
const started = Date.now();
try {
  for (const seed of seeds) {
    if (Date.now() > deadline) {
      console.log(`stopping: --max-minutes ${values['max-minutes']} reached after ${results.length} seeds`);
      break;
    }
    const setup = setupOf(seed);
    // Seeds share a world (managers, plugins, the canary group) while it stays clean; a seed that
    // found a violation leaves it stopped and the next one starts a fresh one.
    let world = worlds.get(setup);
    if (world === undefined && values.seed === undefined) {
      try {
        world = await createWorld(setup, etcd);
        worlds.set(setup, world);
      } catch (error) {
        console.log(`seed ${seed} ${setup}: a fresh world did not start clean, next seed: ${String(error)}`);
        continue;
      }
    }
    const run = await runSeed({
      seed,
      setup,
      ...(world === undefined ? {} : { world }),
      steps,
      ...(only ? { faults: only } : {}),
      ...(etcd ? { etcd } : {}),
      ...(values.seed !== undefined ? { log: (line: string) => console.log(`  ${line}`) } : {}),
    });
    const result = run.result;
    worlds.set(setup, run.world);
    results.push(result);
    const kinds = result.faults.map((f) => f.kind).join(',');
    console.log(
      `seed ${seed} ${setup}: ${result.faults.length} faults (${kinds}), ${result.violations.length} violations, ${(result.durationMs / 1000).toFixed(1)} s`,
    );
    for (const v of result.violations) {
      console.log(`  VIOLATION ${v.invariant} at step ${v.step} (fault ${v.fault}): ${v.detail}`);
    }
    if (result.violations.length > 0) console.log(`  reproduce: ${reproduction(seed, setup, steps, only)}`);
  }
} finally {
  for (const world of worlds.values()) await world?.setup.stop();
  await etcd?.stop();
}

const byFault = new Map<FaultKind, { injected: number; violations: number }>(
  faultKinds.map((k) => [k, { injected: 0, violations: 0 }]),
);
const byInvariant = new Map<string, number>();
for (const r of results) {
  for (const f of r.faults) {
    const row = byFault.get(f.kind);
    if (row) row.injected += 1;
  }
  for (const v of r.violations) {
    const row = byFault.get(v.fault as FaultKind);
    if (row) row.violations += 1;
    byInvariant.set(v.invariant, (byInvariant.get(v.invariant) ?? 0) + 1);
  }
}
console.log('\nfault kind        injected  violations (attributed to the step it was injected in)');
for (const [kind, row] of byFault) {
  console.log(
    `${kind.padEnd(18)}${String(row.injected).padStart(8)}  ${String(row.violations).padStart(10)}`,
  );
}
console.log('\ninvariant         violations');
for (const [name, count] of [...byInvariant].sort())
  console.log(`${name.padEnd(18)}${String(count).padStart(10)}`);
const violating = results.filter((r) => r.violations.length > 0);
if (violating.length > 0) {
  console.log('\nreproduce:');
  for (const r of violating) console.log(`  ${reproduction(r.seed, r.setup, steps, only)}`);
}
const faultsTotal = results.reduce((n, r) => n + r.faults.length, 0);
const violations = results.reduce((n, r) => n + r.violations.length, 0);
console.log(
  JSON.stringify({
    bench: 'faults',
    seeds: results.length,
    faults: faultsTotal,
    violations,
    violatingSeeds: violating.map((r) => r.seed),
    steps,
    setups: {
      file: results.filter((r) => r.setup === 'file').length,
      etcd: results.filter((r) => r.setup === 'etcd').length,
    },
    byFault: Object.fromEntries([...byFault].map(([k, v]) => [k, v.injected])),
    byInvariant: Object.fromEntries(byInvariant),
    instancesSeen: results.reduce((n, r) => n + r.instancesSeen, 0),
    statusProbes: results.reduce((n, r) => n + r.statusProbes, 0),
    starvedProbes: results.reduce((n, r) => n + r.starvedProbes, 0),
    maxStatusMs: Math.max(0, ...results.map((r) => r.maxStatusMs)),
    durationS: Math.round((Date.now() - started) / 1000),
    clock: 'wall (Date.now)',
    managers: compiled ? 'compiled' : 'tsx',
    load1: Number(load),
    node: process.version,
  }),
);
process.exit(violations > 0 ? 1 : 0);
