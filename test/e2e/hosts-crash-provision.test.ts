// Issue #14: kill -9 of the manager during a `hosts` provision. A pool of 5 netns sshd hosts, a
// group of 3; a real manager is killed at seeded points inside provisioning (a seeded delay after
// the nth claim starts on some host: inside the claim, the Init or the tag write) and restarted.
// Between rounds, claims are removed by hand on seeded hosts so the next manager has provisions
// to do. The claims are read ON THE HOSTS over SSH, not through Tend: no provision's `tend.op` or
// instance ID ever holds two hosts, and after convergence every claimed host is a group member.
// TEND_HOSTS_KILLS sets the number of points (default 20, which CI runs); TEND_SEED the seed.
import assert from 'node:assert/strict';
import { type FSWatcher, mkdirSync, rmSync, watch } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRandom, randomInt } from '../../src/lib/random.js';
import { claimDirOf, claimOn, writePoolFile } from '../support/hosts-pool.js';
import {
  e2eWorkspace,
  eventually,
  killIfAlive,
  ManagerProcess,
  type ManagerProcessOptions,
} from '../support/manager.js';
import { type NetnsHosts, netnsSkipReason, startNetnsHosts } from '../support/netns-hosts.js';

const skip = netnsSkipReason();
const seed = Number(process.env.TEND_SEED ?? 20261202);
const kills = Number(process.env.TEND_HOSTS_KILLS ?? 20);
const size = 3;

const spec = `groups:
  - id: workers
    allocation: { size: ${size} }
    instance: { plugin: hosts }
    flavor:
      plugin: vanilla
      properties:
        init: ['sleep 0.3', 'echo "init-ran $TEND_INSTANCE_ID" > "$NETNS_HOST_ROOT/app"']
    health: { grace: 0s, unhealthyAfter: 10m, maxInFlight: ${size} }
`;

interface Claim {
  host: string;
  id: string;
  op?: string | undefined;
}

describe('kill -9 of the manager during hosts provisions', { skip }, () => {
  let lab: NetnsHosts;
  let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
  let pluginFile: string;
  const options = (name: string): ManagerProcessOptions => ({
    name,
    dir: workspace.dir,
    stateDir: workspace.stateDir,
    tickIntervalMs: 200,
    extraArgs: ['--plugin-config', pluginFile],
  });

  before(async () => {
    lab = await startNetnsHosts({ count: 5 });
    workspace = await e2eWorkspace('hosts-crash-provision');
    pluginFile = join(workspace.dir, 'plugins.yaml');
    await writePoolFile(lab, pluginFile);
    // Made up front so the watch below sees the first claim start.
    for (const host of lab.hosts) mkdirSync(claimDirOf(host), { recursive: true });
  });
  after(async () => {
    await workspace?.cleanup();
    await lab?.close();
  });

  /** Every claim as the hosts say over SSH; a host that does not answer fails the read. */
  const claimsOnHosts = async (): Promise<Claim[]> => {
    const found: Claim[] = [];
    for (const host of lab.hosts) {
      const claim = await claimOn(lab, host);
      if (claim !== undefined) found.push({ host: host.name, id: claim.id, op: claim.op });
    }
    return found;
  };
  const assertNoneTwice = (claims: readonly Claim[], when: string) => {
    const ids = claims.map((c) => c.id);
    assert.equal(
      new Set(ids).size,
      ids.length,
      `${when}: an instance claims two hosts: ${JSON.stringify(claims)}`,
    );
    const ops = claims.flatMap((c) => (c.op === undefined ? [] : [c.op]));
    assert.equal(
      new Set(ops).size,
      ops.length,
      `${when}: one tend.op claims two hosts: ${JSON.stringify(claims)}`,
    );
  };

  /** Fires after `delayMs` once the `nth` claim attempt (a `.new-<id>` dir) starts on any host. */
  const onNthClaim = (nth: number, action: () => void): FSWatcher[] => {
    const seen = new Set<string>();
    return lab.hosts.map((host) =>
      watch(claimDirOf(host), (_event, name) => {
        if (name === null || !name.startsWith('.new-') || seen.has(name) || seen.size >= nth) return;
        seen.add(name);
        if (seen.size === nth) action();
      }),
    );
  };

  async function converged(manager: ManagerProcess): Promise<boolean> {
    const s = await manager.client.groupStatus('workers');
    return s?.phase === 'converged' && s.healthy === size && s.instances.length === size;
  }

  test(`${kills} seeded kill -9 points: no host claimed twice, none unaccounted for (seed ${seed})`, async () => {
    console.log(
      `seed ${seed}, ${kills} points; reproduce with TEND_SEED=${seed} TEND_HOSTS_KILLS=${kills} node scripts/run-tests.mjs hosts-crash-provision`,
    );
    const random = createRandom(seed);
    for (let round = 0; round < kills; round++) {
      // Make work for the next manager: free some claimed hosts by hand (seeded) while none runs.
      const held = await claimsOnHosts();
      const freed = held.length === 0 ? 0 : randomInt(random, 1, held.length);
      for (const claim of held.slice(0, freed)) {
        const host = lab.hosts.find((h) => h.name === claim.host);
        if (host !== undefined) rmSync(join(claimDirOf(host), 'claim'), { force: true });
      }
      const missing = size - held.length + freed;
      const nth = randomInt(random, 1, Math.max(1, missing));
      // Claim, Init (≥ 300 ms) and the tag write all fall inside this span.
      const delayMs = randomInt(random, 0, 1500);
      let pid: number | undefined;
      const watchers = onNthClaim(nth, () => {
        void sleep(delayMs).then(() => {
          killIfAlive(pid);
        });
      });
      try {
        const manager = await ManagerProcess.start({
          ...options(`m${round}`),
          onSpawn: (p) => {
            pid = p;
          },
        }).catch(() => undefined); // killed before it printed its address: a crash point too
        if (manager !== undefined) {
          if (round === 0) {
            await eventually('the manager to lead', async () =>
              (await manager.isLeader()) ? true : undefined,
            );
            // A kill may cut the answer off; the spec is committed before any provision starts.
            await manager.client.apply(spec, { reason: 'e2e' }).catch(() => undefined);
          }
          // A round needing fewer claims than `nth` (a retry found its host) ends at convergence.
          let done = false;
          void manager.exited.then(() => {
            done = true;
          });
          while (!done) {
            if (await converged(manager).catch(() => false)) manager.signal('SIGKILL');
            await sleep(100);
          }
        }
      } finally {
        pid = undefined; // a timer still pending must not kill whatever reuses the PID later
        for (const w of watchers) w.close();
      }
      const claims = await claimsOnHosts();
      console.log(
        `round ${round}: freed ${freed}, killed ${delayMs} ms after claim ${nth}; ${claims.length} claimed`,
      );
      assertNoneTwice(claims, `round ${round}`);
    }

    const manager = await ManagerProcess.start(options('final'));
    workspace.managers.push(manager);
    const status = await eventually(
      'the group to converge',
      async () => {
        const s = await manager.client.groupStatus('workers');
        if (s?.phase !== 'converged' || s.healthy !== size || s.instances.length !== size) return undefined;
        // The stale claims of killed provisions are released by the manager, not at once.
        const claims = await claimsOnHosts();
        return claims.length === size ? { s, claims } : undefined;
      },
      { attempts: 3000 },
    );
    assertNoneTwice(status.claims, 'after convergence');
    assert.deepEqual(
      status.claims.map((c) => c.id).sort(),
      status.s.instances.map((i) => i.id).sort(),
      'every claimed host is a member of the group, and every member holds a host',
    );
  });
});
