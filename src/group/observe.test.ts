import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupId, type InstanceDescription, instanceId, logicalId } from '../spi/index.js';
import { memoryJournal } from './memory-journal.js';
import { createHealthTracker } from './observe.js';

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
  tracker.observe(a, ['healthy'], 100);
  let seen = tracker.observe(a, ['unhealthy'], 200);
  assert.equal(seen.observed[0]?.unhealthySince, 200);
  assert.equal(seen.observed[0]?.firstSeen, 100);
  assert.deepEqual(seen.changes, [{ id: 'a', firstHealthy: false, becameUnhealthy: true }]);
  seen = tracker.observe(a, ['unhealthy'], 300);
  assert.equal(seen.observed[0]?.unhealthySince, 200);
  assert.deepEqual(seen.changes, []);
  seen = tracker.observe(a, ['healthy'], 400);
  assert.equal(seen.observed[0]?.healthySince, 400);
  assert.equal(seen.observed[0]?.unhealthySince, undefined);
  assert.equal(tracker.everHealthy(instanceId('a')), true);
});

test('an instance Tend created counts grace from its creation; vanished ones are forgotten', () => {
  const tracker = createHealthTracker();
  tracker.created(instanceId('n'), 50);
  const seen = tracker.observe([d('n', {})], ['healthy'], 500);
  assert.equal(seen.observed[0]?.firstSeen, 50);
  assert.deepEqual(seen.changes, [{ id: 'n', firstHealthy: true, becameUnhealthy: false }]);
  tracker.observe([], [], 600);
  assert.equal(tracker.everHealthy(instanceId('n')), false);
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
