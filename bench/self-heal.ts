// Fast healing on a real platform: a group of local processes (the `process` instance plugin,
// whose `watch` reports exits). Each round kills one instance's process with SIGKILL and times,
// on the REAL clock, until a replacement is running. The tick interval is 10 s, so what is
// measured is the watch path, not polling. Median of 20 rounds.
// Every victim is an instance that has proved itself (up longer than the controller's stable
// period): killing fresh replacements again and again is what a crash loop looks like, and the
// controller rightly backs off and opens its breaker for that. So the group has one instance
// per round, all given time to become stable, and each round kills a different veteran.
// Run: node --import tsx bench/self-heal.ts   (BENCH_ROUNDS=N; last line: JSON)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGroupController, memoryJournal } from '../src/group/index.js';
import { createProcessPlugin } from '../src/plugins/instance/process/index.js';
import { type FlavorPlugin, groupId, type InstanceDescription, TAG_GROUP } from '../src/spi/index.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
const size = rounds;
/**
 * The controller's stable period (max(grace, healthyFor, 10 s)) plus a tick: stability is judged
 * when a describe sees the instance still up past that period, and ticks here are 10 s apart.
 */
const settleMs = 25_000;
const group = groupId('self-heal');
const stateDir = await mkdtemp(join(tmpdir(), 'tend-self-heal-'));
const plugin = createProcessPlugin({ stateDir, killGraceMs: 200 });
const flavor: FlavorPlugin = {
  validate: async () => {},
  prepare: async (_p, spec) => ({ ...spec, init: 'exec sleep 3600' }),
  healthy: async () => 'healthy',
  drain: async () => {},
};
const controller = createGroupController({
  spec: {
    id: group,
    allocation: { size },
    instance: { plugin: 'process' },
    flavor: { plugin: 'bench' },
    health: { graceMs: 1_000, unhealthyAfterMs: 1_000, maxInFlight: 1 },
    update: { maxSurge: 1, maxUnavailable: 0, healthyForMs: 0, timeoutMs: 60_000, onFailure: 'pause' },
    scaleIn: { order: 'oldest' },
  },
  instancePlugin: plugin,
  flavorPlugin: flavor,
  journal: memoryJournal(),
  epoch: 1,
  tickIntervalMs: 10_000,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const live = (): Promise<InstanceDescription[]> =>
  plugin.describeInstances({ [TAG_GROUP]: group }, { properties: true });
const pidOf = (d: InstanceDescription): number => {
  const p = d.properties;
  return typeof p === 'object' && p !== null && !Array.isArray(p) && typeof p.pid === 'number' ? p.pid : -1;
};

async function until(condition: () => Promise<boolean>, limitMs: number): Promise<boolean> {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    if (await condition()) return true;
    await sleep(2);
  }
  return false;
}

const times: number[] = [];
controller.start(new AbortController().signal);
try {
  if (!(await until(async () => (await live()).length === size, 30_000)))
    throw new Error('group never started');
  const veterans = (await live()).map((d) => d.id);
  await sleep(settleMs);
  for (let round = 0; round < rounds; round++) {
    const before = await live();
    const victim = before.find((d) => d.id === veterans[round]);
    if (victim === undefined) throw new Error(`round ${round}: veteran ${veterans[round]} is gone`);
    const known = new Set(before.map((d) => d.id));
    const start = performance.now();
    process.kill(pidOf(victim), 'SIGKILL');
    const healed = await until(async () => {
      const now = await live();
      return now.length === size && now.some((d) => !known.has(d.id));
    }, 30_000);
    if (!healed) throw new Error(`round ${round}: no replacement within 30 s`);
    times.push(performance.now() - start);
  }
} finally {
  await controller.destroyAll();
  await plugin.close();
  await rm(stateDir, { recursive: true, force: true });
}

const sorted = [...times].sort((a, b) => a - b);
const at = (q: number) =>
  Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1));
console.log(
  `self-heal: kill -9 one stable process of ${size}, time until a replacement runs (real clock), ${rounds} rounds`,
);
console.log('median ms   p90 ms   min ms   max ms');
console.log(
  `${String(at(0.5)).padStart(9)}   ${String(at(0.9)).padStart(6)}   ${String(at(0)).padStart(6)}   ${String(at(0.999)).padStart(6)}`,
);
console.log(
  JSON.stringify({
    bench: 'self-heal',
    rounds,
    medianMs: at(0.5),
    p90Ms: at(0.9),
    minMs: at(0),
    maxMs: at(0.999),
  }),
);
