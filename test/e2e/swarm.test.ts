// Swarm leadership and the swarm store on a real three-manager swarm (one dockerd per netns host).
// One swarm serves the whole file (forming one takes ~10 s): the contracts run against the current
// Raft leader's engine with a fresh label per test, then the failover test kills the leader's
// engine, so it runs last.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SwarmLeadership } from '../../src/leadership/index.js';
import { clusterRead, clusterWriteLabels } from '../../src/lib/index.js';
import { groupId, type LeaderTerm, TendError } from '../../src/spi/index.js';
import { SWARM_STORE_MAX_BYTES, SwarmStore } from '../../src/store/index.js';
import { runLeadershipContract } from '../support/contract/leadership-contract.js';
import { runStoreContract } from '../support/contract/store-contract.js';
import { startSwarm, swarmSkipReason, type TestSwarm } from '../support/swarm.js';

let swarm: TestSwarm | undefined;
let next = 0;

function live(): TestSwarm {
  if (swarm === undefined) throw new Error('swarm not started');
  return swarm;
}

/** Fails instead of hanging; generous so a loaded machine never trips it. */
async function within<T>(promise: Promise<T>, what: string, ms = 120_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang guard: ${what} did not happen`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

describe('Swarm leadership and store on a real swarm', { skip: swarmSkipReason() }, () => {
  before(async () => {
    swarm = await startSwarm({ managers: 3 });
  });
  after(async () => {
    await swarm?.close();
  });

  runLeadershipContract('SwarmLeadership', async () => {
    const seatLabel = `tend.test.leader-${next++}`;
    const engine = await live().leader();
    return {
      candidate: async (name, address) =>
        new SwarmLeadership({
          docker: engine.docker,
          name,
          seatLabel,
          pollMs: 200,
          ...(address === undefined ? {} : { address }),
        }),
      settleMs: 1500,
      depose: async () => {
        for (;;) {
          const cluster = await clusterRead(engine.docker, seatLabel);
          if (await clusterWriteLabels(engine.docker, cluster, { [seatLabel]: undefined })) return;
        }
      },
    };
  });

  runStoreContract('SwarmStore', async () => {
    const engine = await live().leader();
    const prefix = `tend.test.store-${next++}`;
    // A follower engine too: its writes are forwarded to the Raft leader, and it reads the same.
    const other = live().engines.find((e) => e !== engine) ?? engine;
    return {
      store: await SwarmStore.create({ docker: engine.docker, prefix }),
      reopen: () => SwarmStore.create({ docker: other.docker, prefix }),
    };
  });

  test('swarm store: a deposed leader’s write is fenced; an oversized write is refused whole', async () => {
    const s = live();
    const engine = await s.leader();
    const prefix = 'tend.test.fenced';
    const oldLeader = await SwarmStore.create({ docker: engine.docker, prefix });
    const newLeader = await SwarmStore.create({
      docker: (s.engines.find((e) => e !== engine) ?? engine).docker,
      prefix,
    });
    const web = groupId('web');
    await oldLeader.raiseFence(10);
    await oldLeader.putGroupState(web, { by: 'old' }, { epoch: 10 });
    await newLeader.raiseFence(11);
    await assert.rejects(
      oldLeader.putGroupState(web, { by: 'old', late: true }, { epoch: 10 }),
      (e: unknown) => TendError.is(e, 'fenced'),
    );
    await newLeader.putGroupState(web, { by: 'new' }, { epoch: 11 });
    assert.deepEqual(await oldLeader.getGroupState(web), { by: 'new' });
    // Random bytes do not deflate: this state alone is over the limit once encoded.
    const big = Buffer.from(
      Array.from({ length: SWARM_STORE_MAX_BYTES }, () => Math.floor(Math.random() * 256)),
    ).toString('base64');
    await assert.rejects(
      newLeader.putGroupState(web, { big }, { epoch: 11 }),
      (e: unknown) => TendError.is(e, 'invalid_spec') && /limit/.test(e.message),
    );
    assert.deepEqual(await newLeader.getGroupState(web), { by: 'new' });
    // Near the limit still fits: a ~300 KiB document spans several labels and reads back whole.
    const large = Buffer.from(
      Array.from({ length: 220 * 1024 }, () => Math.floor(Math.random() * 256)),
    ).toString('base64');
    await newLeader.putGroupState(groupId('large'), { large }, { epoch: 11 });
    assert.equal(((await oldLeader.getGroupState(groupId('large'))) as { large: string }).large, large);
  });

  test('only the candidate beside the Raft leader leads; killing that engine moves the term', async (t) => {
    const s = live();
    const seatLabel = 'tend.test.failover';
    const candidates = s.engines.map(
      (engine) => new SwarmLeadership({ docker: engine.docker, name: engine.name, seatLabel, pollMs: 200 }),
    );
    const won: Array<LeaderTerm | undefined> = candidates.map(() => undefined);
    const campaigns = candidates.map((c, i) =>
      c.campaign().then((term) => {
        won[i] = term;
        return term;
      }),
    );
    try {
      const leaderEngine = await s.leader();
      const first = s.engines.indexOf(leaderEngine);
      const firstTerm = await within(
        campaigns[first] as Promise<LeaderTerm>,
        'the leader-side candidate wins',
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.deepEqual(
        won.map((term) => term !== undefined),
        s.engines.map((_, i) => i === first),
        'only the candidate on the Raft leader leads',
      );
      const killedAt = Date.now();
      await leaderEngine.kill();
      await within(aborted(firstTerm.signal), 'the old leader’s term aborts');
      t.diagnostic(`term aborted ${Date.now() - killedAt} ms after kill -9 of its engine`);
      const second = await within(
        Promise.race(campaigns.filter((_, i) => i !== first)),
        'a candidate on the new Raft leader wins',
      );
      t.diagnostic(`new term ${Date.now() - killedAt} ms after the kill`);
      assert.ok(second.epoch > firstTerm.epoch, `${second.epoch} > ${firstTerm.epoch}`);
      const newLeader = await s.leader();
      assert.equal(won[s.engines.indexOf(newLeader)], second, 'the winner runs beside the new Raft leader');
      // The old engine comes back as a follower: its candidate campaigns again and stays standby.
      await leaderEngine.start();
      await candidates[first]?.close();
      const back = new SwarmLeadership({ docker: leaderEngine.docker, name: 'back', seatLabel, pollMs: 200 });
      candidates.push(back);
      let backWon = false;
      void back.campaign().then(
        () => {
          backWon = true;
        },
        () => undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(backWon, false, 'the restarted engine’s candidate is a standby');
      assert.equal(second.signal.aborted, false);
      assert.equal((await back.leader())?.epoch, second.epoch);
    } finally {
      await Promise.all(candidates.map((c) => c.close()));
    }
  });
});
