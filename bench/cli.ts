// CLI latency (issue #12): wall time of `tend status`, `tend describe` and `tend -o json status`
// against a local manager with 10 groups, beside `curl` of the same endpoints in the same run.
// Clock: wall time of each child process from spawn to exit (process.hrtime), so node's own
// start-up is counted for the CLI just as curl's start-up is for curl. The CLI runs the compiled
// build (`npm run build` first, done here when stale), as an installed `tend` would.
// Run: npm run bench -- cli [--runs N]   (last line: JSON)
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { e2eWorkspace, eventually, ManagerProcess } from '../test/support/manager.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
const root = new URL('..', import.meta.url).pathname;
const GROUPS = 10;

function groupsDocument(): string {
  const groups = Array.from(
    { length: GROUPS },
    (_, i) => `  - id: g${i}
    allocation: { size: 3 }
    instance: { plugin: simulator }
    flavor: { plugin: vanilla }`,
  );
  return `groups:\n${groups.join('\n')}\n`;
}

function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(0, 300)}`));
    });
  });
}

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, [join(root, 'scripts/build-if-stale.mjs')], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const workspace = await e2eWorkspace('bench-cli');
  try {
    const manager = await ManagerProcess.start({
      name: 'm',
      dir: workspace.dir,
      stateDir: workspace.stateDir,
    });
    workspace.managers.push(manager);
    await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
    await manager.client.apply(groupsDocument());
    await eventually('10 converged groups', async () => {
      const status = await manager.client.status();
      return status.groups.filter((g) => g.phase === 'converged').length === GROUPS ? true : undefined;
    });
    const env = { TEND_MANAGER: manager.url, TEND_TOKEN: manager.token };
    const tend = (...args: string[]) => timed(process.execPath, [join(root, 'bin/tend.js'), ...args], env);
    const curl = (path: string) =>
      timed(
        'curl',
        ['-sf', '-o', '/dev/null', '-H', `authorization: Bearer ${manager.token}`, `${manager.url}${path}`],
        {},
      );
    const cases: Array<[string, () => Promise<number>]> = [
      ['tend status', () => tend('status')],
      ['curl /v1/status', () => curl('/v1/status')],
      ['tend describe g0', () => tend('describe', 'g0')],
      ['curl /v1/groups/g0', () => curl('/v1/groups/g0')],
      ['tend -o json status', () => tend('-o', 'json', 'status')],
    ];
    const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    await tend('status'); // warm the page cache and the compile of the build
    // Interleaved rounds: drift in the machine's load hits the CLI and curl alike.
    for (let round = 0; round < runs; round++) {
      for (const [name, run] of cases) samples.get(name)?.push(await run());
    }
    const m = (name: string) => median(samples.get(name) ?? []);
    const rows = cases.map(([name]) => [
      name,
      m(name).toFixed(1),
      Math.min(...(samples.get(name) ?? [])).toFixed(1),
    ]);
    console.log(
      `runs per case: ${runs}; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; node ${process.version}`,
    );
    console.log(['case'.padEnd(22), 'median ms'.padStart(10), 'min ms'.padStart(10)].join(''));
    for (const [name, med, min] of rows)
      console.log(`${String(name).padEnd(22)}${String(med).padStart(10)}${String(min).padStart(10)}`);
    const figures = {
      bench: 'cli',
      runs,
      statusMedianMs: Number(m('tend status').toFixed(1)),
      curlMedianMs: Number(m('curl /v1/status').toFixed(1)),
      ratio: Number((m('tend status') / m('curl /v1/status')).toFixed(2)),
      describeMedianMs: Number(m('tend describe g0').toFixed(1)),
      curlDescribeMedianMs: Number(m('curl /v1/groups/g0').toFixed(1)),
      describeRatio: Number((m('tend describe g0') / m('curl /v1/groups/g0')).toFixed(2)),
      jsonStatusMedianMs: Number(m('tend -o json status').toFixed(1)),
      loadAvg1: Number((loadavg()[0] ?? 0).toFixed(2)),
      node: process.version,
    };
    console.log(JSON.stringify(figures));
  } finally {
    await workspace.cleanup();
  }
}

await main();
