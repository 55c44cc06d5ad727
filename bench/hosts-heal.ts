// Healing and provisioning on real hosts: netns hosts running Debian's sshd (test/support's
// harness), the `hosts` plugin under a real manager (`tend up --plugin-config`, tick 500 ms).
// 1. A pool of 6, a group of 3 with `unhealthyAfter` 2 s: each run cuts one member's host off
//    (link down inside its namespace) and times, on the wall clock (Date.now), from the cut-off
//    to the group status showing a new member healthy on another host, polled every 100 ms. Then
//    the host is brought back and the run waits until its stale claim is released on the host
//    itself and the group is 3 healthy again. Median of --runs (default 10).
// 2. A group of 5 from zero, once with the plugin's default limits (provisions in parallel) and
//    once through a second section over the same pool with `limits: { concurrency: 1 }` (one
//    provision after another); wall clock from the apply to the status showing 5 healthy.
// Needs root, sshd and ip (see test/support/netns-hosts.ts).
// Run: npm run bench -- hosts-heal [--runs N]   (last line: JSON)
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { GroupStatus } from '../src/spi/index.js';
import { claimOn, poolConfig } from '../test/support/hosts-pool.js';
import { e2eWorkspace, eventually, ManagerProcess } from '../test/support/manager.js';
import { type NetnsHost, netnsSkipReason, startNetnsHosts } from '../test/support/netns-hosts.js';

const runs = parseRuns(process.argv.slice(2));
const UNHEALTHY_AFTER_MS = 2000;
const POOL = 6;
const TICK_MS = 500;
const CONNECT_TIMEOUT_MS = 2000;
/** Hang guard per wait (3 min polled every 100 ms), not a timing limit. */
const patient = { attempts: 1800, intervalMs: 100 };

const skip = netnsSkipReason();
if (skip !== undefined) {
  console.error(`hosts-heal: cannot run: ${skip}`);
  process.exit(1);
}

const groupDoc = (id: string, plugin: string, size: number) => `groups:
  - id: ${id}
    allocation: { size: ${size} }
    instance: { plugin: ${plugin} }
    flavor:
      plugin: vanilla
      properties:
        init: ['echo "init-ran $TEND_INSTANCE_ID" > "$NETNS_HOST_ROOT/app"']
    health: { grace: 0s, unhealthyAfter: ${UNHEALTHY_AFTER_MS / 1000}s, maxInFlight: 1 }
`;

const lab = await startNetnsHosts({ count: POOL });
const workspace = await e2eWorkspace('hosts-heal');
const samples: number[] = [];
let parallel5Ms = Number.NaN;
let serial5Ms = Number.NaN;
try {
  const config = poolConfig(lab, {
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    resetScript: 'rm -f "$NETNS_HOST_ROOT/app"',
  });
  const file = join(workspace.dir, 'plugins.yaml');
  // Two sections over one pool: claims live on the hosts, so they share it safely; only the
  // limiter differs.
  const plugins = {
    hosts: { kind: 'hosts', config },
    'hosts-serial': { kind: 'hosts', config, limits: { concurrency: 1 } },
  };
  await writeFile(file, JSON.stringify({ plugins }, null, 2));
  const manager = await ManagerProcess.start({
    name: 'bench',
    dir: workspace.dir,
    stateDir: workspace.stateDir,
    tickIntervalMs: TICK_MS,
    extraArgs: ['--plugin-config', file],
  });
  workspace.managers.push(manager);
  await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));

  const status = async (id: string): Promise<GroupStatus | undefined> =>
    (await manager.client.groupStatus(id)) ?? undefined;
  const hostOf = (instanceId: string): NetnsHost | undefined =>
    lab.hosts.find((h) => instanceId.startsWith(`${h.name}-`));
  const healthy = (id: string, size: number) =>
    eventually(
      `${id}: ${size} healthy`,
      async () => {
        const s = await status(id);
        return s?.phase === 'converged' && s.healthy === size && s.instances.length === size ? s : undefined;
      },
      patient,
    );
  /** Until no host carries a claim, as the hosts themselves say over SSH. */
  const allFree = () =>
    eventually(
      'every host free',
      async () => {
        for (const host of lab.hosts) if ((await claimOn(lab, host)) !== undefined) return undefined;
        return true;
      },
      patient,
    );

  // 1. Cut off → replacement healthy on another host.
  await manager.client.apply(groupDoc('heal', 'hosts', 3));
  await healthy('heal', 3);
  for (let run = 0; run < runs; run++) {
    const before = (await healthy('heal', 3)).instances;
    const victim = before[run % before.length];
    const host = victim === undefined ? undefined : hostOf(victim.id);
    if (victim === undefined || host === undefined) throw new Error('no member on a pool host');
    const known = new Set(before.map((i) => i.id));
    await host.cutOff();
    const cutAt = Date.now();
    await eventually(
      'a replacement healthy on another host',
      async () => {
        const s = await status('heal');
        const fresh = s?.instances.find(
          (i) => !known.has(i.id) && i.health === 'healthy' && hostOf(i.id)?.name !== host.name,
        );
        return fresh === undefined ? undefined : true;
      },
      patient,
    );
    samples.push(Date.now() - cutAt);
    process.stderr.write(`run ${run + 1}/${runs}: ${samples.at(-1)} ms\n`);
    await host.bringBack();
    await eventually(
      'the stale claim released on the host that came back',
      async () => ((await claimOn(lab, host)) === undefined ? true : undefined),
      patient,
    );
  }
  await manager.client.destroy('heal');
  await allFree();

  // 2. Five from zero: parallel (default limits) vs one after another (concurrency 1).
  const fromZero = async (id: string, plugin: string): Promise<number> => {
    const startAt = Date.now();
    await manager.client.apply(groupDoc(id, plugin, 5));
    await healthy(id, 5);
    const took = Date.now() - startAt;
    await manager.client.destroy(id);
    await allFree();
    return took;
  };
  parallel5Ms = await fromZero('par5', 'hosts');
  serial5Ms = await fromZero('ser5', 'hosts-serial');
} finally {
  await workspace.cleanup();
  await lab.close();
}

const sorted = [...samples].sort((a, b) => a - b);
const medianMs = quantile(sorted, 0.5);
const speedup = Math.round((serial5Ms / parallel5Ms) * 100) / 100;
const loadAvg1 = Math.round((loadavg()[0] ?? 0) * 100) / 100;
console.log(
  `host cut off → replacement healthy on another host (pool ${POOL}, group 3, unhealthyAfter ${UNHEALTHY_AFTER_MS} ms, tick ${TICK_MS} ms, connect timeout ${CONNECT_TIMEOUT_MS} ms)`,
);
console.log(
  'clock: wall clock (Date.now) from the link going down to the status showing it, polled every 100 ms',
);
console.log(`run ms: ${samples.join(' ')}`);
const table: [string, string][] = [
  ['runs', String(samples.length)],
  ['median ms', String(medianMs)],
  ['min ms', String(sorted[0] ?? Number.NaN)],
  ['max ms', String(sorted.at(-1) ?? Number.NaN)],
  ['5 from zero, parallel ms', String(parallel5Ms)],
  ['5 from zero, concurrency 1 ms', String(serial5Ms)],
  ['speedup (serial / parallel)', String(speedup)],
  ['load average (1 min)', `${loadAvg1} on ${cpus().length} cores`],
];
for (const [k, v] of table) console.log(`${k.padEnd(30)} | ${v}`);
console.log(
  JSON.stringify({
    bench: 'hosts-heal',
    medianMs,
    unhealthyAfterMs: UNHEALTHY_AFTER_MS,
    runs: samples.length,
    parallel5Ms,
    serial5Ms,
    speedup,
    loadAvg1,
  }),
);

function parseRuns(args: readonly string[]): number {
  const at = args.indexOf('--runs');
  if (at === -1) return 10;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    console.error(`hosts-heal: --runs wants a whole number from 1 to 1000, got ${args[at + 1] ?? 'nothing'}`);
    process.exit(1);
  }
  return value;
}

/** Nearest-rank quantile of sorted values. */
function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  return values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)] ?? Number.NaN;
}
