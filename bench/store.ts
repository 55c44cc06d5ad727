// Store benchmark: commit latency (median, p99) and the time to read a 1,000-revision history,
// for the memory, file and etcd stores (etcd is started here on loopback, then stopped).
// Prints a table, then one JSON line with the figures. Numbers, not pass/fail.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigStore } from '../src/spi/index.js';
import { groupId } from '../src/spi/index.js';
import { EtcdStore, FileStore, MemoryStore } from '../src/store/index.js';
import { etcdAvailable, startEtcdCluster } from '../test/support/etcd.js';

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
console.log(JSON.stringify({ bench: 'store', node: process.version, ...results }));
