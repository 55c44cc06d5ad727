// Issue #6 acceptance through Tend itself: `tend apply` of a 3-member etcd group (logical IDs a,
// b, c; flavor etcd; instance plugin process) to a real manager process builds a real cluster,
// heals two kill -9s on different members under the same logical IDs, and rolls a changed flag
// one member at a time while a client writing every 100 ms keeps being served.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, run } from '../support/ensemble.js';
import {
  e2eWorkspace,
  eventually,
  type LiveInstance,
  liveInstances,
  ManagerProcess,
  runCli,
} from '../support/manager.js';

const etcdctl = '/usr/bin/etcdctl';
const skip =
  (existsSync('/usr/bin/etcd') && existsSync(etcdctl)) || process.env.CI === 'true'
    ? false
    : 'needs /usr/bin/etcd and /usr/bin/etcdctl (apt-get install etcd-server etcd-client)';

const group = 'etcd';
const ids = ['a', 'b', 'c'] as const;
const baseFlags = ['--heartbeat-interval=100', '--election-timeout=1000'];

interface Ports {
  peerPort: number;
  clientPort: number;
}

/** The group spec the test applies; `extraFlags` is what the rolling update changes. */
function specYaml(ports: ReadonlyMap<string, Ports>, dataDir: string, extraFlags: readonly string[]): string {
  const members = ids
    .map((id) => {
      const p = ports.get(id);
      return `          ${id}: { peerPort: ${p?.peerPort}, clientPort: ${p?.clientPort} }`;
    })
    .join('\n');
  return `
groups:
  - id: ${group}
    allocation: { logicalIds: [${ids.join(', ')}] }
    instance: { plugin: process }
    flavor:
      plugin: etcd
      properties:
        members:
${members}
        dataDir: ${JSON.stringify(dataDir)}
        clusterToken: tend-apply-e2e
        extraFlags: [${extraFlags.map((f) => JSON.stringify(f)).join(', ')}]
    health: { grace: 15s, unhealthyAfter: 5s, maxInFlight: 1 }
    update: { maxSurge: 0, maxUnavailable: 1, healthyFor: 2s, timeout: 5m, onFailure: pause }
`;
}

/** One put through etcd's JSON gateway, trying the last endpoint that worked first. */
function createWriter(endpoints: readonly string[]) {
  let preferred = 0;
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return async (value: string): Promise<boolean> => {
    const deadline = AbortSignal.timeout(1500);
    for (let i = 0; i < endpoints.length && !deadline.aborted; i++) {
      const index = (preferred + i) % endpoints.length;
      try {
        const response = await fetch(`${endpoints[index]}/v3/kv/put`, {
          method: 'POST',
          body: JSON.stringify({ key: b64('/tend/writer'), value: b64(value) }),
          signal: AbortSignal.any([deadline, AbortSignal.timeout(700)]),
        });
        if (response.ok) {
          preferred = index;
          return true;
        }
      } catch {
        // Refused, timed out, or no leader: the next endpoint may serve.
      }
    }
    return false;
  };
}

interface WriteResult {
  at: number;
  ok: boolean;
}

/** Longest stretch from a failed write to the next successful one, in start times. */
function longestFailureWindow(results: readonly WriteResult[]): { ms: number; failed: number } {
  const sorted = [...results].sort((a, b) => a.at - b.at);
  let longest = 0;
  let runStart: number | undefined;
  for (const r of sorted) {
    if (!r.ok) runStart ??= r.at;
    else if (runStart !== undefined) {
      longest = Math.max(longest, r.at - runStart);
      runStart = undefined;
    }
  }
  const last = sorted.at(-1);
  if (runStart !== undefined && last !== undefined) longest = Math.max(longest, last.at - runStart + 100);
  return { ms: longest, failed: sorted.filter((r) => !r.ok).length };
}

describe('tend apply: a 3-member etcd group on the process plugin', { skip }, () => {
  let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
  let manager: ManagerProcess;
  const ports = new Map<string, Ports>();
  let endpoints: string[] = [];
  let specFile = '';
  let dataDir = '';

  const ctl = (...args: string[]) =>
    run(etcdctl, [
      `--endpoints=${endpoints.join(',')}`,
      '--dial-timeout=2s',
      '--command-timeout=4s',
      ...args,
    ]);
  const members = (): LiveInstance[] => liveInstances(workspace.stateDir, group);
  const memberOf = (id: string) => members().find((i) => i.tags['tend.logical'] === id);
  const apply = async (extraFlags: readonly string[]) => {
    await writeFile(specFile, specYaml(ports, dataDir, extraFlags));
    const result = await runCli(['apply', '-f', specFile, '--manager', manager.url, '--timeout', '3m'], {
      TEND_TOKEN: manager.token,
    });
    assert.equal(result.code, 0, `tend apply failed:\n${result.stdout}\n${result.stderr}`);
    return result;
  };
  /** etcdctl's own view: every endpoint healthy, and a, b, c all started members. */
  const clusterHealthy = async (): Promise<true | undefined> => {
    await ctl('endpoint', 'health');
    const list = JSON.parse(await ctl('member', 'list', '--write-out=json')) as {
      members?: Array<{ name?: string }>;
    };
    const names = (list.members ?? []).map((m) => m.name ?? '').sort();
    return names.join() === ids.join() ? true : undefined;
  };

  before(async () => {
    workspace = await e2eWorkspace('ensemble-etcd-apply');
    dataDir = join(workspace.dir, 'etcd-data');
    specFile = join(workspace.dir, 'etcd.yaml');
    for (const id of ids) ports.set(id, { peerPort: await freePort(), clientPort: await freePort() });
    endpoints = ids.map((id) => `http://127.0.0.1:${ports.get(id)?.clientPort}`);
    manager = await ManagerProcess.start({
      name: 'ensemble',
      dir: workspace.dir,
      stateDir: workspace.stateDir,
      tickIntervalMs: 250,
    });
    workspace.managers.push(manager);
    await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
  });

  after(async () => {
    // Stops the manager, SIGKILLs every instance's process group found in the state dir, removes
    // the temp dir (etcd data included).
    await workspace?.cleanup();
  });

  it('tend apply builds a healthy 3-member cluster', { timeout: 240_000 }, async () => {
    const started = performance.now();
    const result = await apply(baseFlags);
    assert.match(result.stdout, /converged/);
    await eventually('etcdctl to see 3 healthy members a, b, c', clusterHealthy, { intervalMs: 250 });
    console.log(`# etcd: apply → converged + healthy in ${Math.round(performance.now() - started)} ms`);
    assert.deepEqual(
      members()
        .map((m) => m.tags['tend.logical'])
        .sort(),
      [...ids],
    );
    await ctl('put', '/tend/e2e', 'kept');
  });

  for (const victim of ['b', 'a'] as const) {
    it(`kill -9 of member ${victim}: replaced under the same logical ID, key kept`, {
      timeout: 240_000,
    }, async () => {
      const before = memberOf(victim);
      assert.ok(before, `member ${victim} is not running`);
      const killedAt = performance.now();
      process.kill(-before.pid, 'SIGKILL');
      const after = await eventually(
        `a new instance for ${victim}`,
        () => {
          const now = memberOf(victim);
          return now !== undefined && now.id !== before.id ? now : undefined;
        },
        { intervalMs: 100 },
      );
      await eventually('etcdctl to see 3 healthy members again', clusterHealthy, { intervalMs: 250 });
      const healed = Math.round(performance.now() - killedAt);
      console.log(
        `# etcd: kill -9 ${victim} → cluster healthy again in ${healed} ms (${before.id} → ${after.id})`,
      );
      assert.equal(after.tags['tend.logical'], victim);
      assert.equal(members().length, 3);
      assert.equal((await ctl('get', '/tend/e2e', '--print-value-only')).trim(), 'kept');
      await eventually('the group converged', async () => {
        const status = (await manager.client.status()).groups.find((g) => g.id === group);
        return status?.phase === 'converged' && status.healthy === 3 ? status : undefined;
      });
    });
  }

  it('a changed flag rolls one member at a time and keeps quorum', { timeout: 300_000 }, async () => {
    const write = createWriter(endpoints);
    const writes: WriteResult[] = [];
    const pending: Array<Promise<void>> = [];
    let minLive = 3;
    let maxLive = 0;
    let writing = true;
    const t0 = performance.now();
    // One write every 100 ms, each started on schedule whatever the previous one is doing.
    const writer = (async () => {
      for (let n = 0; writing; n++) {
        const at = performance.now() - t0;
        pending.push(write(`v${n}`).then((ok) => void writes.push({ at, ok })));
        const live = new Set(members().map((m) => m.tags['tend.logical'])).size;
        minLive = Math.min(minLive, live);
        maxLive = Math.max(maxLive, members().length);
        await sleep(100);
      }
    })();
    let result: Awaited<ReturnType<typeof runCli>>;
    try {
      await sleep(1000);
      result = await apply([...baseFlags, '--snapshot-count=5000']);
      await sleep(1000);
    } finally {
      writing = false;
      await writer;
      await Promise.all(pending);
    }
    const window = longestFailureWindow(writes);
    console.log(
      `# etcd rolling update: ${writes.length} writes every 100 ms, ${window.failed} failed, ` +
        `longest failure window ${Math.round(window.ms)} ms; live members min ${minLive}, instances max ${maxLive}`,
    );
    assert.match(result.stdout, /converged/);
    assert.ok(writes.length > 20, 'the writer ran during the rollout');
    assert.ok(
      window.ms < 5000,
      `writes failed for ${Math.round(window.ms)} ms in a row (one election is ~1 s)`,
    );
    assert.ok(minLive >= 2, `only ${minLive} members were running at one point`);
    assert.ok(maxLive <= 3, `${maxLive} instances ran at once (maxSurge 0)`);
    const now = members();
    assert.equal(now.length, 3);
    for (const m of now) {
      const init = readInit(workspace.stateDir, m.id);
      assert.match(init, /--snapshot-count=5000/, `member ${m.tags['tend.logical']} runs the new flags`);
    }
    await eventually('etcdctl to see 3 healthy members after the rollout', clusterHealthy);
    assert.equal((await ctl('get', '/tend/e2e', '--print-value-only')).trim(), 'kept');
  });
});

/** The init script an instance runs, from the process plugin's state file. */
function readInit(stateDir: string, id: string): string {
  const state = JSON.parse(readFileSync(join(stateDir, `${id}.json`), 'utf8')) as { init?: unknown };
  return typeof state.init === 'string' ? state.init : '';
}
