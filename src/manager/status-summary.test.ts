import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type GroupSummary, groupId, type InstanceStatus, instanceId, TendError } from '../spi/index.js';
import { boundSummary, MAX_SUMMARY_BYTES, pageInstances, summaryByteLimit } from './status-summary.js';

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** A converged group of ten on config `cccccccccccc`, with `fields` over it. */
const summaryWith = (fields: Partial<GroupSummary>): GroupSummary => ({
  id: groupId('g'.repeat(64)),
  phase: 'converged',
  desired: 10,
  observed: 10,
  healthy: 10,
  config: 'c'.repeat(12),
  byConfig: { ['c'.repeat(12)]: 10 },
  breaker: { open: false, consecutiveFailures: 0 },
  paused: false,
  ...fields,
});

test('a summary stays under 512 bytes however long its texts and however many configs', () => {
  const long = 'x'.repeat(5_000);
  const summary: GroupSummary = {
    id: groupId('g'.repeat(64)),
    phase: 'breaker-open',
    desired: 100_000,
    observed: 100_000,
    healthy: 99_999,
    config: 'c'.repeat(16),
    byConfig: Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`config-${i}-${'c'.repeat(8)}`, i + 1]),
    ),
    rollout: {
      fromConfig: 'a'.repeat(16),
      toConfig: 'b'.repeat(16),
      state: 'failed',
      updated: 50_000,
      total: 100_000,
      startedAt: 1_765_000_000_000,
      reason: long,
    },
    breaker: { open: true, consecutiveFailures: 12, reason: long },
    paused: false,
    lastError: long,
    lastTickAt: 1_765_000_000_000,
  };
  const bounded = boundSummary(summary);
  assert.ok(bytes(bounded) <= MAX_SUMMARY_BYTES, `${bytes(bounded)} bytes`);
  assert.ok(Object.keys(bounded.byConfig).length <= 4);
  assert.equal(
    Object.values(bounded.byConfig).reduce((a, b) => a + b, 0),
    Object.values(summary.byConfig).reduce((a, b) => a + b, 0),
    'configs beyond the largest three are summed, not lost',
  );
  assert.equal(bounded.healthy, 99_999);
  const { rollout: _rollout, ...noRollout } = summary;
  const oneText = boundSummary({
    ...noRollout,
    id: groupId('web'),
    breaker: { open: false, consecutiveFailures: 0 },
  });
  assert.ok(
    oneText.lastError?.startsWith('xxx'),
    'a long error is shortened, not dropped, when that is enough',
  );
  assert.ok(bytes(oneText) <= MAX_SUMMARY_BYTES);
  assert.equal(summary.lastError, long, 'the input is not changed');
  const longestId = boundSummary({ ...summary, id: groupId('g'.repeat(128)) });
  assert.ok(bytes(longestId) <= MAX_SUMMARY_BYTES + 64, 'the longest ID adds its excess over 64');
  assert.equal(summaryByteLimit('g'.repeat(128)), MAX_SUMMARY_BYTES + 64);
});

test('configs that are not hashes (foreign tags of any length) cannot push a summary past 512 bytes', () => {
  const summary = summaryWith({
    phase: 'converging',
    byConfig: { ['c'.repeat(12)]: 4, ['x'.repeat(3_000)]: 3, ['y'.repeat(3_000)]: 3 },
  });
  const bounded = boundSummary(summary);
  assert.ok(bytes(bounded) <= MAX_SUMMARY_BYTES, `${bytes(bounded)} bytes`);
  assert.deepEqual(bounded.byConfig, { ['c'.repeat(12)]: 4, '(other)': 6 });
});

test('a small summary is left as it is', () => {
  const summary = summaryWith({
    id: groupId('web'),
    desired: 3,
    observed: 3,
    healthy: 3,
    config: 'c1',
    byConfig: { c1: 3 },
    lastError: 'describe failed: timeout',
  });
  assert.deepEqual(boundSummary(summary), summary);
});

const instance = (id: string): InstanceStatus => ({
  id: instanceId(id),
  config: 'c1',
  health: 'healthy',
  tags: {},
});

test('pages walk the instances (given in ID order) each once, with a cursor', () => {
  const all = ['i-01', 'i-02', 'i-03', 'i-04', 'i-05'].map(instance);
  const first = pageInstances('g', all, { limit: 2 });
  assert.deepEqual(
    first.instances.map((i) => i.id),
    ['i-01', 'i-02'],
  );
  assert.equal(first.total, 5);
  assert.ok(first.next);
  const second = pageInstances('g', all, { limit: 2, cursor: first.next });
  assert.deepEqual(
    second.instances.map((i) => i.id),
    ['i-03', 'i-04'],
  );
  const third = pageInstances('g', all, { limit: 2, cursor: second.next });
  assert.deepEqual(
    third.instances.map((i) => i.id),
    ['i-05'],
  );
  assert.equal(third.next, undefined, 'no cursor past the last page');
  assert.equal(pageInstances('g', all, {}).instances.length, 5, 'default limit 100');
});

test('between pages, a gone instance is not served and the others are neither repeated nor skipped', () => {
  const all = ['a', 'b', 'c', 'd'].map(instance);
  const first = pageInstances('g', all, { limit: 2 });
  const changed = ['a', 'c', 'd', 'e'].map(instance); // b went (healed), e came
  const second = pageInstances('g', changed, { limit: 10, cursor: first.next });
  assert.deepEqual(
    second.instances.map((i) => i.id),
    ['c', 'd', 'e'],
  );
});

test('a bad limit or cursor is refused as invalid', () => {
  for (const query of [{ limit: 0 }, { limit: 1_001 }, { cursor: 'not a cursor!' }]) {
    assert.throws(
      () => pageInstances('g', [], query),
      (e) => TendError.is(e, 'invalid_spec'),
    );
  }
});
