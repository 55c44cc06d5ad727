// CPU time of one `plan` call on groups of 1,000 / 10,000 / 100,000 instances, in a heavy but
// realistic state: a rollout half done, 1% unhealthy past grace (sick since before the rollout
// began, so they are healed rather than failing it), 1% missing. Median of runs. Clock: process
// CPU time (cpuUsage), not wall time. Heap figures need `gc()` (npm run bench passes
// --expose-gc): the observed input's heap bytes per instance, and the heap one plan() call
// leaves allocated (gc before, no gc during) per instance — an upper bound on what it keeps.
// Without --expose-gc the heap figures are null rather than guesses.
// Run: npm run bench -- plan   (last line: JSON figures)
import { cpuUsage, memoryUsage } from 'node:process';
import { initialPlannerState, type ObservedInstance, opKey, plan } from '../src/group/index.js';
import { createRandom } from '../src/lib/index.js';
import { type GroupSpec, groupId, instanceId } from '../src/spi/index.js';
import { machineNote } from './_machine.js';

const machine = machineNote('cpu');
const gc = (globalThis as { gc?: () => void }).gc;

const sizes = [1_000, 10_000, 100_000];
const runs = Number(process.env.BENCH_RUNS ?? 9);
const now = 10_000_000;

function spec(size: number): GroupSpec {
  return {
    id: groupId('bench'),
    allocation: { size },
    instance: { plugin: 'simulator', properties: { image: 'app:2' } },
    flavor: { plugin: 'vanilla' },
    health: { graceMs: 30_000, unhealthyAfterMs: 20_000, maxInFlight: Math.ceil(size / 100) },
    update: {
      maxSurge: Math.ceil(size / 20),
      maxUnavailable: 0,
      healthyForMs: 10_000,
      timeoutMs: 3_600_000,
      onFailure: 'rollback',
    },
    scaleIn: { order: 'oldest' },
  };
}

function observed(size: number): ObservedInstance[] {
  const random = createRandom(size);
  const list: ObservedInstance[] = [];
  for (let slot = 0; slot < size; slot++) {
    if (random() < 0.01) continue; // missing
    const config = slot % 2 === 0 ? 'new' : 'old';
    const sick = random() < 0.01;
    const instance: ObservedInstance = {
      id: instanceId(`i-${slot.toString(16).padStart(8, '0')}`),
      config,
      op: opKey('bench', config, slot, 0),
      health: sick ? 'unhealthy' : 'healthy',
      firstSeen: now - 3_600_000 + slot,
    };
    if (sick) instance.unhealthySince = now - 60_000;
    else instance.healthySince = now - 600_000;
    list.push(instance);
  }
  return list;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const rows: Array<{
  instances: number;
  medianMs: number;
  minMs: number;
  actions: number;
  bytesPerInstance: number | null;
  planBytesPerInstance: number | null;
}> = [];
for (const size of sizes) {
  gc?.();
  const heapBefore = memoryUsage().heapUsed;
  const list = observed(size);
  const heapAfter = memoryUsage().heapUsed;
  const s = spec(size);
  const state = {
    ...initialPlannerState,
    rollout: { fromConfig: 'old', toConfig: 'new', startedAt: now - 30_000, state: 'running' as const },
  };
  const times: number[] = [];
  let actions = 0;
  plan({ spec: s, targetConfig: 'new', observed: list, now, state }); // warm-up
  gc?.();
  const planBefore = memoryUsage().heapUsed;
  const kept = plan({ spec: s, targetConfig: 'new', observed: list, now, state });
  const planAfter = memoryUsage().heapUsed;
  if (kept.length < 0) throw new Error('unreachable'); // keeps `kept` alive until the reading
  for (let i = 0; i < runs; i++) {
    const start = cpuUsage();
    actions = plan({ spec: s, targetConfig: 'new', observed: list, now, state }).length;
    const used = cpuUsage(start);
    times.push((used.user + used.system) / 1_000);
  }
  rows.push({
    instances: size,
    medianMs: Number(median(times).toFixed(2)),
    minMs: Number(Math.min(...times).toFixed(2)),
    actions,
    bytesPerInstance: gc === undefined ? null : Math.round((heapAfter - heapBefore) / list.length),
    planBytesPerInstance: gc === undefined ? null : Math.round((planAfter - planBefore) / list.length),
  });
}

console.log('plan(): CPU time per call (median of %d runs), rollout half done, 1%% sick, 1%% missing', runs);
if (gc === undefined) console.log('heap figures: null (run with node --expose-gc, as npm run bench does)');
console.log('instances   median ms   min ms   actions   input heap B/instance   plan heap B/instance');
for (const r of rows) {
  console.log(
    `${String(r.instances).padStart(9)}   ${String(r.medianMs).padStart(9)}   ${String(r.minMs).padStart(6)}   ${String(r.actions).padStart(7)}   ${String(r.bytesPerInstance).padStart(21)}   ${String(r.planBytesPerInstance).padStart(20)}`,
  );
}
const figures: Record<string, unknown> = { bench: 'plan' };
for (const r of rows) {
  figures[`ms_${r.instances}`] = r.medianMs;
  figures[`bytesPerInstance_${r.instances}`] = r.bytesPerInstance;
  figures[`planBytesPerInstance_${r.instances}`] = r.planBytesPerInstance;
}
figures.floor = 'none (CPU time of one call)';
console.log(JSON.stringify({ ...figures, ...machine.finish() }));
