import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { EtcdLeadership } from '../../src/leadership/index.js';
import { groupId } from '../../src/spi/index.js';
import { EtcdStore } from '../../src/store/index.js';
import { runLeadershipContract } from '../support/contract/leadership-contract.js';
import { type EtcdCluster, etcdSkip, startEtcdCluster } from '../support/etcd.js';

let cluster: EtcdCluster | undefined;
let next = 0;

function endpoints(): string[] {
  if (cluster === undefined) throw new Error('etcd cluster not started');
  return cluster.endpoints;
}

/** Fails instead of hanging; generous so a loaded machine never trips it. */
async function within<T>(promise: Promise<T>, what: string, ms = 60_000): Promise<T> {
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

const leadershipUrl = new URL('../../src/leadership/index.ts', import.meta.url).href;
const storeUrl = new URL('../../src/store/index.ts', import.meta.url).href;

// A manager in its own process: leads, raises the fence, writes group state every 50 ms while its
// term lasts, and once the term has ended tries one more write to show it is fenced.
const managerScript = `
  import { EtcdLeadership } from ${JSON.stringify(leadershipUrl)};
  import { EtcdStore } from ${JSON.stringify(storeUrl)};
  const [endpoints, key, prefix, name] = process.argv.slice(1);
  const say = (event) => process.stdout.write(JSON.stringify(event) + '\\n');
  const leadership = new EtcdLeadership({ endpoints: endpoints.split(','), name, electionKey: key, ttlSeconds: 2 });
  const store = await EtcdStore.create({ endpoints: endpoints.split(','), prefix });
  const term = await leadership.campaign();
  await store.raiseFence(term.epoch);
  say({ event: 'leader', epoch: term.epoch });
  let n = 0;
  while (!term.signal.aborted) {
    await store.putGroupState('web', { by: name, n: n++ }, { epoch: term.epoch }).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  say({ event: 'aborted', reason: String(term.signal.reason) });
  const kind = await store.putGroupState('web', { by: name, late: true }, { epoch: term.epoch }).then(() => 'written', (e) => e.kind);
  say({ event: 'late-write', kind });
  await store.close();
  await leadership.close();
`;

interface Manager {
  child: ChildProcess;
  next(event: string): Promise<Record<string, unknown>>;
}

const children = new Set<ChildProcess>();

function startManager(key: string, prefix: string, name: string): Manager {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', managerScript, endpoints().join(','), key, prefix, name],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  const events: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  if (child.stdout !== null) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      events.push(JSON.parse(line) as Record<string, unknown>);
      for (const wake of waiters.splice(0)) wake();
    });
  }
  return {
    child,
    next: async (event) => {
      for (;;) {
        const found = events.find((e) => e.event === event);
        if (found !== undefined) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

describe('EtcdLeadership on a real etcd', { skip: etcdSkip() }, () => {
  before(async () => {
    cluster = await startEtcdCluster({ members: 1 });
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await cluster?.stop();
  });

  runLeadershipContract('EtcdLeadership', async () => {
    const electionKey = `tend-test/${process.pid}/leader-${next++}`;
    const raw = new Etcd3({ hosts: endpoints() });
    return {
      candidate: async (name, address) =>
        new EtcdLeadership({
          endpoints: endpoints(),
          name,
          electionKey,
          ...(address === undefined ? {} : { address }),
        }),
      settleMs: 1500,
      depose: async () => {
        await raw.delete().key(electionKey).exec();
      },
      cleanup: async () => raw.close(),
    };
  });

  test('a crashed leader is replaced with a higher epoch once its lease runs out', async (t) => {
    const key = `tend-test/${process.pid}/crash`;
    const a = startManager(key, `tend-test/${process.pid}/crash-store/`, 'a');
    const first = await within(a.next('leader'), 'a leads');
    const b = new EtcdLeadership({ endpoints: endpoints(), name: 'b', electionKey: key });
    try {
      const waiting = b.campaign();
      const killedAt = Date.now();
      a.child.kill('SIGKILL');
      const term = await within(waiting, 'b takes over');
      t.diagnostic(`failover after SIGKILL took ${Date.now() - killedAt} ms (ttl 2 s)`);
      assert.ok(term.epoch > Number(first.epoch));
      assert.equal((await b.leader())?.name, 'b');
    } finally {
      a.child.kill('SIGKILL');
      await b.close();
    }
  });

  test('a leader paused past its lease wakes with its term aborted, and its writes are fenced', async (t) => {
    const key = `tend-test/${process.pid}/pause`;
    const prefix = `tend-test/${process.pid}/pause-store/`;
    const a = startManager(key, prefix, 'a');
    const store = await EtcdStore.create({ endpoints: endpoints(), prefix });
    const b = new EtcdLeadership({ endpoints: endpoints(), name: 'b', electionKey: key });
    try {
      const first = await within(a.next('leader'), 'a leads');
      const waiting = b.campaign();
      a.child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      const term = await within(waiting, 'b takes over from the paused leader');
      t.diagnostic(`failover after SIGSTOP took ${Date.now() - stoppedAt} ms (ttl 2 s)`);
      assert.ok(term.epoch > Number(first.epoch));
      await store.raiseFence(term.epoch);
      await store.putGroupState(groupId('web'), { by: 'b' }, { epoch: term.epoch });
      a.child.kill('SIGCONT');
      const aborted = await within(a.next('aborted'), 'a sees its term aborted');
      assert.match(String(aborted.reason), /lease|deposed/);
      assert.equal((await within(a.next('late-write'), 'a tries a late write')).kind, 'fenced');
      assert.deepEqual(await store.getGroupState(groupId('web')), { by: 'b' });
      assert.equal(term.signal.aborted, false);
    } finally {
      a.child.kill('SIGCONT');
      a.child.kill('SIGKILL');
      await store.close();
      await b.close();
    }
  });
});

describe('EtcdLeadership on a three-member cluster', { skip: etcdSkip() }, () => {
  test('with one member killed, a leader is still elected and its store writes go through', async () => {
    const three = await startEtcdCluster({ members: 3 });
    const made: EtcdLeadership[] = [];
    try {
      await three.kill(0);
      const key = 'tend/leader';
      const store = await EtcdStore.create({ endpoints: three.endpoints, prefix: 'tend/' });
      const a = new EtcdLeadership({ endpoints: three.endpoints, name: 'a', electionKey: key });
      const b = new EtcdLeadership({ endpoints: three.endpoints, name: 'b', electionKey: key });
      made.push(a, b);
      const [ca, cb] = [a.campaign(), b.campaign()];
      // The loser's campaign stays pending; it must be the one that wins after the resign.
      const winner = await within(
        Promise.race([ca.then((term) => ({ term, other: cb })), cb.then((term) => ({ term, other: ca }))]),
        'someone leads',
      );
      const first = winner.term;
      await store.raiseFence(first.epoch);
      await store.commit({ groupId: groupId('web'), spec: 1, author: 'x', reason: 'r', epoch: first.epoch });
      await first.resign();
      const second = await within(winner.other, 'the other leads after a resign');
      assert.ok(second.epoch > first.epoch);
      await store.raiseFence(second.epoch);
      await assert.rejects(
        store.commit({ groupId: groupId('web'), spec: 2, author: 'x', reason: 'r', epoch: first.epoch }),
      );
      await store.close();
    } finally {
      await Promise.all(made.map((l) => l.close()));
      await three.stop();
    }
  });
});
