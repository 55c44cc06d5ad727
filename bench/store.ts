// Store benchmark: commit latency (median, p99) and the time to read a 1,000-revision history,
// for the memory, file and etcd stores (etcd is started here on loopback, then stopped); then,
// for the file store, a commit's cost at revision 10 against revision 2,000 (median of the same
// number of commits, same run; goal ≤ 1.5×: a commit appends, it does not rewrite the history).
// Real clock (performance.now). Prints a table, then one JSON line with the figures.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigStore } from '../src/spi/index.js';
import { groupId } from '../src/spi/index.js';
import { EtcdStore, FileStore, MemoryStore } from '../src/store/index.js';
import { etcdAvailable, startEtcdCluster } from '../test/support/etcd.js';
import { machineNote } from './_machine.js';

const machine = machineNote('real');

const revisions = Number(process.env.BENCH_REVISIONS ?? 1000);
const historyReads = 5;
const spec = {
  allocation: { size: 5 },
  instance: { plugin: 'docker', properties: { image: 'local/app:1', env: ['A=1', 'B=2'] } },
  flavor: { plugin: 'vanilla', properties: { init: ['echo hello'], tags: { role: 'worker' } } },
};

interface Figures {
  commitMedianMs: number;
  commitP99Ms: number;
  historyReadMs: number;
  revisions: number;
}

function quantile(sorted: number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

async function measure(store: ConfigStore): Promise<Figures> {
  const group = groupId('bench');
  const latencies: number[] = [];
  for (let i = 0; i < revisions; i++) {
    const started = performance.now();
    await store.commit({ groupId: group, spec: { ...spec, n: i }, author: 'bench', reason: `commit ${i}` });
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const reads: number[] = [];
  for (let i = 0; i < historyReads; i++) {
    const started = performance.now();
    const history = await store.history(group);
    reads.push(performance.now() - started);
    if (history.length !== revisions)
      throw new Error(`history has ${history.length} revisions, not ${revisions}`);
  }
  reads.sort((a, b) => a - b);
  return {
    commitMedianMs: round(quantile(latencies, 0.5)),
    commitP99Ms: round(quantile(latencies, 0.99)),
    historyReadMs: round(quantile(reads, 0.5)),
    revisions,
  };
}

const results: Record<string, Figures | { skipped: string }> = {};

results.memory = await measure(new MemoryStore());

const dir = await mkdtemp(join(tmpdir(), 'tend-bench-store-'));
try {
  const store = await FileStore.create({ dir });
  results.file = await measure(store);
  await store.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** Median commit time at revision `at`: `samples` groups each brought to `at`, then committed once. */
async function commitAt(store: ConfigStore, at: number, samples: number, prefix: string): Promise<number> {
  const latencies: number[] = [];
  if (at <= 100) {
    for (let g = 0; g < samples; g++) {
      const group = groupId(`${prefix}-${g}`);
      for (let i = 0; i < at; i++)
        await store.commit({ groupId: group, spec: { ...spec, n: i }, author: 'b', reason: 'r' });
      const started = performance.now();
      await store.commit({ groupId: group, spec: { ...spec, n: at }, author: 'b', reason: 'r' });
      latencies.push(performance.now() - started);
    }
  } else {
    // One long history (building `samples` of them would take long); the samples are consecutive.
    const group = groupId(prefix);
    for (let i = 0; i < at; i++)
      await store.commit({ groupId: group, spec: { ...spec, n: i }, author: 'b', reason: 'r' });
    for (let s = 0; s < samples; s++) {
      const started = performance.now();
      await store.commit({ groupId: group, spec: { ...spec, n: at + s }, author: 'b', reason: 'r' });
      latencies.push(performance.now() - started);
    }
  }
  return round(
    quantile(
      latencies.sort((a, b) => a - b),
      0.5,
    ),
  );
}

const growthSamples = Number(process.env.BENCH_GROWTH_SAMPLES ?? 40);
const growthDir = await mkdtemp(join(tmpdir(), 'tend-bench-store-growth-'));
let growth: { commitMs10: number; commitMs2000: number; ratio2000to10: number };
try {
  const store = await FileStore.create({ dir: growthDir });
  // Interleaved halves, so a burst of load elsewhere falls on both sizes alike.
  const small1 = await commitAt(store, 10, growthSamples / 2, 'small-a');
  const large = await commitAt(store, 2000, growthSamples, 'large');
  const small2 = await commitAt(store, 10, growthSamples / 2, 'small-b');
  const commitMs10 = round((small1 + small2) / 2);
  growth = { commitMs10, commitMs2000: large, ratio2000to10: round(large / commitMs10) };
  await store.close();
} finally {
  await rm(growthDir, { recursive: true, force: true });
}

if (etcdAvailable()) {
  const cluster = await startEtcdCluster({ members: 1 });
  try {
    const store = await EtcdStore.create({ endpoints: cluster.endpoints, prefix: 'bench/' });
    results.etcd = await measure(store);
    await store.close();
  } finally {
    await cluster.stop();
  }
} else {
  results.etcd = { skipped: 'etcd not installed' };
}

console.log(
  `store benchmark: ${revisions} commits to one group, then history() read ${historyReads}× (median)`,
);
console.log('backend   commit median (ms)   commit p99 (ms)   history read (ms)');
for (const [name, figures] of Object.entries(results)) {
  if ('skipped' in figures) {
    console.log(`${name.padEnd(10)}skipped: ${figures.skipped}`);
    continue;
  }
  console.log(
    `${name.padEnd(10)}${String(figures.commitMedianMs).padStart(18)}${String(figures.commitP99Ms).padStart(18)}` +
      `${String(figures.historyReadMs).padStart(20)}`,
  );
}
console.log(
  `file store commit at revision 10: ${growth.commitMs10} ms, at revision 2,000: ${growth.commitMs2000} ms ` +
    `(median of ${growthSamples} each; ratio ${growth.ratio2000to10}, goal ≤ 1.5)`,
);
console.log(
  JSON.stringify({
    bench: 'store',
    node: process.version,
    ...results,
    fileCommitMs10: growth.commitMs10,
    fileCommitMs2000: growth.commitMs2000,
    fileCommitRatio2000to10: growth.ratio2000to10,
    ...machine.finish(),
  }),
);
