import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupId, type InstanceDescription, instanceId, logicalId } from '../../spi/index.js';
import { memoryJournal } from './memory-journal.js';
import { createHealthTracker, healthOf } from './observe.js';
import { APPEAR_WITHIN_MS } from './stability.js';

const rule = { graceMs: 1_000, upMs: 10_000 };

const d = (id: string, tags: Record<string, string>, logical?: string): InstanceDescription => {
  const description: InstanceDescription = { id: instanceId(id), tags };
  if (logical !== undefined) description.logicalId = logicalId(logical);
  return description;
};

test('tags are read as Tend writes them, and as InfraKit wrote them', () => {
  const tracker = createHealthTracker();
  const { observed } = tracker.observe(
    [
      d('a', { 'tend.config': 'c1', 'tend.op': 'g:c1:0:0', 'tend.logical': 'm0' }),
      d('b', { 'infrakit.config_sha': 'legacy' }, 'm1'),
      d('c', {}),
    ],
    ['healthy', 'unknown', 'unhealthy'],
    100,
    rule,
  );
  assert.deepEqual(
    observed.map((o) => [o.id, o.config, o.op, o.logicalId]),
    [
      ['a', 'c1', 'g:c1:0:0', 'm0'],
      ['b', 'legacy', undefined, 'm1'],
      ['c', '', undefined, undefined],
    ],
  );
});

test('health streaks start when the health changes and survive while it holds', () => {
  const tracker = createHealthTracker();
  const a = [d('a', {})];
  tracker.observe(a, ['healthy'], 100, rule);
  let seen = tracker.observe(a, ['unhealthy'], 200, rule);
  assert.equal(seen.observed[0]?.unhealthySince, 200);
  assert.equal(seen.observed[0]?.firstSeen, 100);
  assert.deepEqual(seen.changes, [
    { id: 'a', firstHealthy: false, becameUnhealthy: true, becameStable: false },
  ]);
  seen = tracker.observe(a, ['unhealthy'], 300, rule);
  assert.equal(seen.observed[0]?.unhealthySince, 200);
  assert.deepEqual(seen.changes, []);
  seen = tracker.observe(a, ['healthy'], 400, rule);
  assert.equal(seen.observed[0]?.healthySince, 400);
  assert.equal(seen.observed[0]?.unhealthySince, undefined);
  assert.equal(tracker.everHealthy(instanceId('a')), true);
});

test('an instance Tend created counts grace from its creation; vanished ones are forgotten', () => {
  const tracker = createHealthTracker();
  tracker.created(instanceId('n'), 50);
  const seen = tracker.observe([d('n', {})], ['healthy'], 500, rule);
  assert.equal(seen.observed[0]?.firstSeen, 50);
  assert.deepEqual(seen.changes, [
    { id: 'n', firstHealthy: true, becameUnhealthy: false, becameStable: false },
  ]);
  const gone = tracker.observe([], [], 600, rule);
  assert.deepEqual(gone.exits, [{ id: 'n', ageMs: 550, seen: true }], 'it never was stable');
  assert.equal(tracker.everHealthy(instanceId('n')), false);
});

test('stable: past grace and up with no unhealthy report for the stable period; sticky', () => {
  const tracker = createHealthTracker();
  const n = [d('n', {})];
  tracker.created(instanceId('n'), 0);
  tracker.observe(n, ['healthy'], 0, rule);
  tracker.observe(n, ['unhealthy'], 5_000, rule); // the streak breaks
  tracker.observe(n, ['unknown'], 6_000, rule); // unknown is not unhealthy: a new streak starts
  tracker.observe(n, ['healthy'], 7_000, rule);
  let seen = tracker.observe(n, ['healthy'], 15_999, rule);
  assert.deepEqual(seen.changes, [], 'ten seconds of the new streak are not over yet');
  assert.equal(tracker.unproven(instanceId('n')), true);
  seen = tracker.observe(n, ['healthy'], 16_000, rule);
  assert.deepEqual(seen.changes, [
    { id: 'n', firstHealthy: false, becameUnhealthy: false, becameStable: true },
  ]);
  assert.equal(tracker.unproven(instanceId('n')), false);
  tracker.observe(n, ['unhealthy'], 20_000, rule);
  assert.equal(tracker.unproven(instanceId('n')), false, 'a veteran turning sick is ordinary wear');
  const blind = [d('blind', {})]; // a flavor that cannot tell: the lifetime decides
  tracker.created(instanceId('blind'), 0);
  tracker.observe([...n, ...blind], ['unhealthy', 'unknown'], 21_000, rule);
  seen = tracker.observe([...n, ...blind], ['unhealthy', 'unknown'], 31_000, rule);
  assert.deepEqual(seen.changes, [
    { id: 'blind', firstHealthy: false, becameUnhealthy: false, becameStable: true },
  ]);
  assert.deepEqual(tracker.observe([], [], 30_000, rule).exits, [], 'nor is its death an early exit');
});

test('early exits: only instances Tend created and did not destroy, seen or reported gone', () => {
  const tracker = createHealthTracker();
  tracker.observe(
    [d('adopted', {}), d('mine', {}), d('scaled', {})],
    ['healthy', 'healthy', 'healthy'],
    0,
    rule,
  );
  tracker.created(instanceId('mine'), 0);
  tracker.created(instanceId('scaled'), 0);
  tracker.observe(
    [d('adopted', {}), d('mine', {}), d('scaled', {})],
    ['healthy', 'healthy', 'healthy'],
    1,
    rule,
  );
  tracker.destroyed(instanceId('scaled'));
  const { exits } = tracker.observe([], [], 2_000, rule);
  assert.deepEqual(
    exits.map((e) => e.id),
    ['mine'],
  );
});

test('an instance no describe listed yet waits for the watch or for the appearance window', () => {
  const tracker = createHealthTracker();
  tracker.gone(instanceId('fast')); // the process exited before provision returned
  tracker.created(instanceId('fast'), 0);
  tracker.created(instanceId('lagging'), 0);
  tracker.created(instanceId('never'), 0);
  let seen = tracker.observe([], [], 1_000, rule);
  assert.deepEqual(seen.exits, [{ id: 'fast', ageMs: 1_000, seen: false }]);
  seen = tracker.observe([d('lagging', {})], ['healthy'], 2_000, rule);
  assert.deepEqual(seen.exits, [], 'a lagging describe is no exit');
  assert.equal(seen.observed[0]?.firstSeen, 0, 'its age counts from its creation');
  seen = tracker.observe([d('lagging', {})], ['healthy'], APPEAR_WITHIN_MS, rule);
  assert.deepEqual(seen.exits, [{ id: 'never', ageMs: APPEAR_WITHIN_MS, seen: false }]);
});

test('memoryJournal keeps intents and state apart per call, as a store would', async () => {
  const journal = memoryJournal();
  const intent = {
    key: 'k',
    groupId: groupId('g'),
    operation: 'provision' as const,
    config: 'c',
    epoch: 1,
    at: 'now',
  };
  await journal.putIntent(intent);
  assert.equal((await journal.listIntents()).length, 1);
  await journal.clearIntent('k');
  assert.deepEqual(await journal.listIntents(), []);
  assert.equal(journal.history.length, 1);
  const state = { paused: true };
  await journal.saveState(state);
  state.paused = false;
  assert.deepEqual(await journal.loadState(), { paused: true }, 'saved by value, not by reference');
});

test("the platform's unhealthy verdict wins without asking the flavor", async () => {
  const asked: string[] = [];
  const flavor = {
    validate: async () => {},
    prepare: async (_p: unknown, spec: never) => spec,
    healthy: async (_p: unknown, instance: InstanceDescription) => {
      asked.push(instance.id);
      return 'healthy' as const;
    },
    drain: async () => {},
  };
  const spec = { flavor: { plugin: 'vanilla', properties: {} } } as unknown as Parameters<typeof healthOf>[2];
  const list: InstanceDescription[] = [
    { id: instanceId('up'), tags: {} },
    { id: instanceId('stopped'), tags: {}, platformHealth: 'unhealthy', platformStatus: 'stopped' },
  ];
  const health = await healthOf(flavor, list, spec, new AbortController().signal);
  assert.deepEqual(health, ['healthy', 'unhealthy']);
  assert.deepEqual(asked, ['up']);
});

test('an instance whose health and tags did not change is the same object as in the last look', () => {
  const tracker = createHealthTracker();
  const tags = { 'tend.config': 'c1', 'tend.op': 'g:c1:0:0' };
  const look = (health: 'healthy' | 'unhealthy', at: number, config = 'c1') =>
    tracker.observe([d('a', { ...tags, 'tend.config': config })], [health], at, rule).observed[0];
  const first = look('healthy', 100);
  const second = look('healthy', 1_100);
  assert.equal(second, first, 'nothing changed: no copy');
  const sick = look('unhealthy', 2_100);
  assert.notEqual(sick, first);
  assert.equal(sick?.health, 'unhealthy');
  assert.equal(sick?.unhealthySince, 2_100);
  const relabelled = look('unhealthy', 3_100, 'c2');
  assert.notEqual(relabelled, sick);
  assert.equal(relabelled?.config, 'c2');
  assert.equal(look('unhealthy', 4_100, 'c2'), relabelled);
});
