// The swarm flavor against an in-memory swarm (test/support/fake-swarm.ts), on virtual time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FAKE_MANAGER_TOKEN,
  FAKE_WORKER_TOKEN,
  type FakeSwarm,
  fakeSwarm,
} from '../../../../test/support/fake-swarm.js';
import { onVirtualTime } from '../../../../test/support/virtual-time.js';
import { VirtualClock } from '../../../lib/index.js';
import {
  type FlavorPlugin,
  type InstanceDescription,
  type InstanceSpec,
  instanceId,
  type JsonValue,
  logicalId,
  TAG_OP,
  TendError,
} from '../../../spi/index.js';
import { createSwarmFlavor, TAG_SWARM_LINK } from './index.js';

const managers = ['unix:///fake/docker.sock'];
const workers: JsonValue = { role: 'worker', managers, drainTimeout: '10s', removeDownAfter: '1m' };
const managerProps: JsonValue = { role: 'manager', managers, joinTimeout: '1m' };
const size = { size: 3 };
const abc = { logicalIds: ['a', 'b', 'c'].map(logicalId) };

function setup(managerCount = 3) {
  const clock = new VirtualClock();
  const swarm = fakeSwarm(managerCount);
  const flavor = createSwarmFlavor({ gateway: () => swarm.gateway, clock, pollMs: 500 });
  return { clock, swarm, flavor };
}

function spec(op: string, logical?: string): InstanceSpec {
  return {
    tags: { [TAG_OP]: op },
    init: 'start-my-engine',
    attachments: [],
    ...(logical === undefined ? {} : { logicalId: logicalId(logical) }),
  };
}

/** Prepares, then "boots" the instance: its engine joins as a node carrying the link. */
async function provision(
  t: { flavor: FlavorPlugin; swarm: FakeSwarm },
  props: JsonValue,
  op: string,
  logical?: string,
): Promise<InstanceDescription> {
  const prepared = await t.flavor.prepare(props, spec(op, logical), logical ? abc : size, {
    group: 'g',
    sequence: 0,
  });
  const link = prepared.tags[TAG_SWARM_LINK] ?? '';
  const manager = logical !== undefined;
  t.swarm.add({
    id: `node-${op}`,
    link,
    role: manager ? 'manager' : 'worker',
    ...(manager ? { manager: { reachability: 'reachable', leader: false, addr: `10.0.1.9:2377` } } : {}),
  });
  return {
    id: instanceId(`i-${op}`),
    tags: prepared.tags,
    ...(logical ? { logicalId: logicalId(logical) } : {}),
  };
}

describe('swarm flavor: workers', () => {
  it('prepare wraps the Init with the link and a join through every reachable manager', async () => {
    const t = setup();
    t.swarm.add({
      id: 'm4',
      role: 'manager',
      manager: { reachability: 'unreachable', leader: false, addr: '10.0.0.4:2377' },
    });
    const prepared = await t.flavor.prepare(workers, spec('g:c1:0:0'), size, { group: 'g', sequence: 0 });
    const link = prepared.tags[TAG_SWARM_LINK] ?? '';
    assert.match(link, /^g\/-\/[0-9a-f]{12}$/);
    const lines = prepared.init.split('\n');
    assert.equal(lines[0], `export TEND_SWARM_LINK=${link}`);
    assert.equal(lines[1], 'start-my-engine', 'the earlier Init runs after the export, before the join');
    assert.ok(prepared.init.includes(`tend_swarm_token=${FAKE_WORKER_TOKEN}`));
    assert.ok(prepared.init.includes('for addr in 10.0.0.1:2377 10.0.0.2:2377 10.0.0.3:2377; do'));
    assert.ok(!JSON.stringify(prepared.tags).includes('SWMTKN'), 'the token is never a tag');
    const again = await t.flavor.prepare(workers, spec('g:c1:0:0'), size, { group: 'g', sequence: 0 });
    assert.equal(again.tags[TAG_SWARM_LINK], link, 'a retried provision keeps its link');
    const other = await t.flavor.prepare(workers, spec('g:c1:1:0'), size, { group: 'g', sequence: 1 });
    assert.notEqual(other.tags[TAG_SWARM_LINK], link);
  });

  it('healthy reads the node: ready is healthy, down unhealthy, drained unknown, no swarm unknown', async () => {
    const t = setup();
    const worker = await provision(t, workers, 'w1');
    assert.equal(await t.flavor.healthy(workers, worker), 'healthy');
    const node = t.swarm.nodes.get('node-w1');
    assert.ok(node);
    t.swarm.nodes.set(node.id, { ...node, availability: 'drain' });
    assert.equal(await t.flavor.healthy(workers, worker), 'unknown');
    t.swarm.nodes.set(node.id, { ...node, state: 'down' });
    assert.equal(await t.flavor.healthy(workers, worker), 'unhealthy');
    t.swarm.down = true;
    assert.equal(await t.flavor.healthy(workers, worker), 'unknown');
    t.swarm.down = false;
    t.swarm.nodes.delete(node.id);
    assert.equal(await t.flavor.healthy(workers, worker), 'unhealthy', 'never joined, or removed');
  });

  it('drain sets the node to drain and waits for its tasks to move, within drainTimeout', async () => {
    const t = setup();
    const worker = await provision(t, workers, 'w1');
    t.swarm.tasks.set('node-w1', 2);
    let done = false;
    const drained = t.flavor.drain(workers, worker).then(() => {
      done = true;
    });
    await t.clock.sleeping();
    assert.equal(t.swarm.nodes.get('node-w1')?.availability, 'drain');
    await t.clock.advance(3000);
    assert.equal(done, false, 'still waiting while tasks run there');
    t.swarm.tasks.set('node-w1', 0);
    await onVirtualTime(t.clock, drained);
    assert.ok(t.clock.now() < 10_000);
    // Tasks that never move hold the destroy back only for drainTimeout.
    const stuck = await provision(t, workers, 'w2');
    t.swarm.tasks.set('node-w2', 1);
    const start = t.clock.now();
    await onVirtualTime(t.clock, t.flavor.drain(workers, stuck));
    assert.ok(t.clock.now() - start >= 10_000);
  });

  it('a drained node is removed once down; a dead node at drain at once; an undrained one after removeDownAfter', async () => {
    const t = setup();
    const a = await provision(t, workers, 'w1');
    const b = await provision(t, workers, 'w2');
    await t.flavor.drain(workers, a);
    const drained = t.swarm.nodes.get('node-w1');
    assert.ok(drained);
    t.swarm.nodes.set(drained.id, { ...drained, state: 'down' }); // destroyed
    assert.equal(await t.flavor.healthy(workers, b), 'healthy');
    assert.deepEqual(t.swarm.removed, ['node-w1']);
    const c = await provision(t, workers, 'w3');
    const dead = t.swarm.nodes.get('node-w3');
    assert.ok(dead);
    t.swarm.nodes.set(dead.id, { ...dead, state: 'down' });
    await t.flavor.drain(workers, c);
    assert.deepEqual(t.swarm.removed, ['node-w1', 'node-w3']);
    // Vanished without a destroy: down but never drained, removed only after removeDownAfter.
    const node = t.swarm.nodes.get('node-w2');
    assert.ok(node);
    t.swarm.nodes.set(node.id, { ...node, state: 'down', updatedAt: t.clock.now() });
    await provision(t, workers, 'w4');
    assert.ok(t.swarm.nodes.has('node-w2'));
    await t.clock.advance(60_000);
    await provision(t, workers, 'w5');
    assert.ok(!t.swarm.nodes.has('node-w2'));
  });
});

describe('swarm flavor: managers keep quorum', () => {
  it('refuses a size allocation and one dropping more managers than quorum allows', async () => {
    const t = setup();
    await assert.rejects(t.flavor.validate(managerProps, size), (e: unknown) =>
      TendError.is(e, 'invalid_spec'),
    );
    for (const id of ['a', 'b', 'c']) {
      t.swarm.add({
        id: `node-${id}`,
        role: 'manager',
        link: `g/${id}/000000000000`,
        manager: { reachability: 'reachable', leader: false, addr: '10.0.1.1:2377' },
      });
    }
    await t.flavor.validate(managerProps, abc);
    await t.flavor.validate(managerProps, { logicalIds: [logicalId('a')] }); // 4 of 6 stay
    await assert.rejects(
      t.flavor.validate(managerProps, { logicalIds: [logicalId('z')] }),
      (e: unknown) => TendError.is(e, 'invalid_spec') && /3 of the swarm's 6 managers/.test(e.message),
    );
  });

  it('prepare uses the manager token and joins one manager at a time', async () => {
    const t = setup();
    const prepared = await t.flavor.prepare(managerProps, spec('op-a', 'a'), abc, {
      group: 'g',
      sequence: 0,
    });
    assert.ok(prepared.init.includes(FAKE_MANAGER_TOKEN));
    // b waits for a to join (as a group's first managers, all created at once, do), and c for b.
    let bDone = false;
    const b = t.flavor
      .prepare(managerProps, spec('op-b', 'b'), abc, { group: 'g', sequence: 1 })
      .finally(() => {
        bDone = true;
      });
    const c = t.flavor.prepare(managerProps, spec('op-c', 'c'), abc, { group: 'g', sequence: 2 });
    await t.clock.advance(30_000);
    assert.equal(bDone, false, 'b prepared before a joined');
    // A retry of the same provision is not "another" manager: it does not wait.
    await t.flavor.prepare(managerProps, spec('op-a', 'a'), abc, { group: 'g', sequence: 0 });
    t.swarm.add({
      id: 'node-a',
      role: 'manager',
      link: prepared.tags[TAG_SWARM_LINK],
      manager: { reachability: 'reachable', leader: false, addr: '10.0.1.1:2377' },
    });
    const bPrepared = await onVirtualTime(t.clock, b);
    // b never joins: c goes ahead once b's joinTimeout (1m) is up, not before.
    const start = t.clock.now();
    await onVirtualTime(t.clock, c);
    assert.ok(t.clock.now() - start >= 60_000 - 30_000, `c waited ${t.clock.now() - start} ms`);
    assert.ok(bPrepared.tags[TAG_SWARM_LINK]);
  });

  it('a member is replaced old-first: its dead node demoted and removed before the new one joins', async () => {
    const t = setup();
    const old = await provision(t, managerProps, 'op-a1', 'a');
    const node = t.swarm.nodes.get('node-op-a1');
    assert.ok(node?.manager);
    t.swarm.nodes.set(node.id, {
      ...node,
      state: 'down',
      manager: { ...node.manager, reachability: 'unreachable' },
    });
    assert.equal(await t.flavor.healthy(managerProps, old), 'unhealthy');
    await t.flavor.prepare(managerProps, spec('op-a2', 'a'), abc, { group: 'g', sequence: 0 });
    assert.deepEqual(t.swarm.removed, ['node-op-a1']);
  });

  it('refuses a join or a demotion that would lose quorum', async () => {
    const t = setup();
    const unreachable = (id: string) => {
      const node = t.swarm.nodes.get(id);
      assert.ok(node?.manager);
      t.swarm.nodes.set(id, { ...node, manager: { ...node.manager, reachability: 'unreachable' } });
    };
    unreachable('m3');
    // 3 managers, 2 reachable: a 4th that never comes up would leave 2 of 4, short of 3.
    await assert.rejects(
      t.flavor.prepare(managerProps, spec('op-a', 'a'), abc, { group: 'g', sequence: 0 }),
      (e: unknown) => TendError.is(e, 'conflict') && /would have 4 managers with only 2/.test(e.message),
    );
    const t2 = setup(2);
    const a = await provision(t2, managerProps, 'op-a', 'a'); // 3 managers, all reachable
    const m2 = t2.swarm.nodes.get('m2');
    assert.ok(m2?.manager);
    t2.swarm.nodes.set('m2', { ...m2, manager: { ...m2.manager, reachability: 'unreachable' } });
    await assert.rejects(
      t2.flavor.drain(managerProps, a),
      (e: unknown) => TendError.is(e, 'conflict') && /will not demote/.test(e.message),
    );
    assert.equal(t2.swarm.nodes.get('node-op-a')?.role, 'manager');
  });
});
