// Fast healing on a real Docker Engine: a group of 4 containers under the group controller with
// the docker plugin. Each round `docker kill`s one container and times, on the real clock, from
// the kill request to the engine's `start` event of its replacement. The tick interval is 10 s
// (InfraKit's poll), so what is measured is the event path, not polling. Median of 20 rounds.
// Each victim is the group's OLDEST container, killed only once it is older than the controller's
// stable period (12 s here): killing a replacement that just started is what a crash loop looks
// like, and the controller rightly paces replacements of young instances (that is not healing
// latency). The event stream has its own client without a timeout (the shared client's 30 s
// timeout ended an idle stream and the bench then waited for a start event that never came).
// Floor: none stated by Tend; the engine's own create + start time bounds it from below.
// Needs the engine and images from scripts/ci/docker-start.sh.
// Run: node --import tsx bench/docker-heal.ts   (BENCH_ROUNDS=N, BENCH_TICK_MS=N; last line: JSON)
import { cpus } from 'node:os';
import Docker from 'dockerode';
import { TAG_GROUP } from '../src/spi/index.js';
import {
  dockerAvailable,
  dockerClient,
  dockerGroupSpec,
  dockerSocketPath,
  eventually,
  groupContainers,
  newRunId,
  RUN_LABEL,
  removeContainersByLabel,
  startDockerGroup,
} from '../test/support/docker.js';
import { machineNote } from './_machine.js';

const machine = machineNote('real');
/** A victim must be older than this: the controller's stable period (10 s floor) plus a tick's worth. */
const stableAgeMs = Number(process.env.BENCH_STABLE_MS ?? 12_000);

const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
const tickIntervalMs = Number(process.env.BENCH_TICK_MS ?? 10_000);
const size = 4;
const runId = newRunId();
const spec = dockerGroupSpec(`docker-heal-${runId}`, { size });
const docker = dockerClient();
/** Hang guard per wait, not a timing limit: 60 s polled every 20 ms. */
const patient = { attempts: 3_000, intervalMs: 20 };

if (!(await dockerAvailable())) {
  console.error('docker-heal: the engine is unreachable; start it with scripts/ci/docker-start.sh');
  process.exit(1);
}

/** Arrival time (performance.now) of each container's `start` event in the group. */
const starts = new Map<string, number>();
const events = new AbortController();
const stream = (await new Docker({ socketPath: dockerSocketPath() }).getEvents({
  filters: { type: ['container'], event: ['start'], label: [`${TAG_GROUP}=${spec.id}`] },
  abortSignal: events.signal,
} as Parameters<typeof docker.getEvents>[0])) as NodeJS.ReadableStream;
let pending = '';
stream.on('data', (chunk: Buffer) => {
  const at = performance.now();
  pending += chunk.toString('utf8');
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    const id = parseStartId(line);
    if (id !== undefined) starts.set(id, at);
  }
});
stream.on('error', () => {}); // ends with the abort below

const run = startDockerGroup(spec, { runId, tickIntervalMs });
const samples: number[] = [];
try {
  await settled(new Set());
  for (let round = 0; round < rounds; round++) {
    const before = await settled(new Set());
    const victim = [...before].sort((a, b) => a.Created - b.Created)[0];
    if (victim === undefined) throw new Error('no container to kill');
    // Created is in whole seconds: wait until even its latest possible start is old enough.
    const ageMs = Date.now() - (victim.Created + 1) * 1000;
    if (ageMs < stableAgeMs) await new Promise((resolve) => setTimeout(resolve, stableAgeMs - ageMs));
    const known = new Set(before.map((c) => c.Id));
    const killedAt = performance.now();
    await docker.getContainer(victim.Id).kill();
    const replacement = await eventually(
      'a replacement starts',
      async () => {
        for (const [id, at] of starts) if (!known.has(id) && at >= killedAt) return at;
        return undefined;
      },
      patient,
    );
    samples.push(replacement - killedAt);
    await settled(new Set([victim.Id]));
  }
} finally {
  await run.stop();
  events.abort();
  await removeContainersByLabel(RUN_LABEL, runId);
}

const sorted = [...samples].sort((a, b) => a - b);
const stat = {
  medianMs: round1(quantile(sorted, 0.5)),
  p90Ms: round1(quantile(sorted, 0.9)),
  minMs: round1(sorted[0] ?? Number.NaN),
  maxMs: round1(sorted.at(-1) ?? Number.NaN),
};
console.log(
  `docker kill → replacement running (group of ${size}, tick ${tickIntervalMs} ms, ${samples.length} rounds)`,
);
console.log(`round ms: ${samples.map((s) => Math.round(s)).join(' ')}`);
console.log(['median ms', 'p90 ms', 'min ms', 'max ms'].map((h) => h.padStart(9)).join(' | '));
console.log(
  [stat.medianMs, stat.p90Ms, stat.minMs, stat.maxMs].map((v) => String(v).padStart(9)).join(' | '),
);
console.log(
  JSON.stringify({
    bench: 'docker-heal',
    ...stat,
    runs: samples.length,
    size,
    tickIntervalMs,
    cpus: cpus().length,
    node: process.version,
    stableAgeMs,
    floor: 'none (the engine’s create + start)',
    ...machine.finish(),
  }),
);

/** Waits until the group is exactly `size` running containers and none of `gone` is left at all. */
async function settled(gone: ReadonlySet<string>) {
  return eventually(
    'group settled',
    async () => {
      const all = await groupContainers(spec.id, { all: true });
      const ok = all.length === size && all.every((c) => c.State === 'running' && !gone.has(c.Id));
      return ok ? all : undefined;
    },
    patient,
  );
}

function parseStartId(line: string): string | undefined {
  try {
    const event: unknown = JSON.parse(line);
    if (typeof event !== 'object' || event === null || !('id' in event)) return undefined;
    return typeof event.id === 'string' ? event.id : undefined;
  } catch {
    return undefined;
  }
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
