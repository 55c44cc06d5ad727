// Containers created (and destroyed) per second through the docker plugin at group sizes
// 10/50/100, a fixed concurrency of 8. Needs the engine and image from scripts/ci/docker-start.sh.
// Prints a table, then one JSON line: {"bench":"docker-create",...}.
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { createDockerPlugin } from '../src/plugins/instance/docker/index.js';
import { type InstanceId, TAG_GROUP, TAG_OP } from '../src/spi/index.js';

const sizes = [10, 50, 100];
const concurrency = 8;
const image = process.env.TEND_BENCH_IMAGE ?? 'tend-test/busybox:1';

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

const plugin = createDockerPlugin({ defaults: { networkMode: 'none' } });
const rows: Array<{
  size: number;
  createPerSec: number;
  destroyPerSec: number;
  createMs: number;
  destroyMs: number;
}> = [];
try {
  await plugin.validate({ image });
  for (const size of sizes) {
    const group = `bench-${randomBytes(4).toString('hex')}`;
    const specs = Array.from({ length: size }, (_, i) => ({
      tags: { [TAG_GROUP]: group, [TAG_OP]: `${group}-${i}` },
      init: 'sleep 600',
      attachments: [],
      properties: { image },
    }));
    let ids: InstanceId[] = [];
    const t0 = performance.now();
    try {
      ids = await pool(specs, concurrency, (spec) => plugin.provision(spec));
    } finally {
      const t1 = performance.now();
      const live = await plugin.describeInstances({ [TAG_GROUP]: group });
      const all = new Set([...ids, ...live.map((d) => d.id)]);
      await pool([...all], concurrency, (id) => plugin.destroy(id, { reason: 'terminate' }));
      const t2 = performance.now();
      if (ids.length === size) {
        rows.push({
          size,
          createMs: Math.round(t1 - t0),
          destroyMs: Math.round(t2 - t1),
          createPerSec: Number(((size * 1000) / (t1 - t0)).toFixed(1)),
          destroyPerSec: Number(((size * 1000) / (t2 - t1)).toFixed(1)),
        });
        if (live.length !== size) console.error(`warning: described ${live.length} of ${size}`);
      }
    }
  }
} finally {
  await plugin.close();
}

console.log('group size | create+start /s | destroy /s | create ms | destroy ms');
for (const r of rows) {
  console.log(
    `${String(r.size).padStart(10)} | ${String(r.createPerSec).padStart(15)} | ${String(r.destroyPerSec).padStart(10)} | ${String(r.createMs).padStart(9)} | ${String(r.destroyMs).padStart(10)}`,
  );
}
console.log(
  JSON.stringify({
    bench: 'docker-create',
    concurrency,
    image,
    cpus: cpus().length,
    node: process.version,
    results: rows,
  }),
);
