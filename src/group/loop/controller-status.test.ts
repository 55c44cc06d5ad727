import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RolloutStatus } from '../../spi/index.js';
import { holdProgress } from './controller-status.js';

const rollout = (updated: number, over: Partial<RolloutStatus> = {}): RolloutStatus => ({
  fromConfig: 'a',
  toConfig: 'b',
  state: 'running',
  updated,
  total: 4,
  startedAt: 100,
  ...over,
});

test('a rollout never shows less progress than it has shown (a heal replaces an updated one)', () => {
  let mark = holdProgress(rollout(3), undefined);
  const healed = rollout(2);
  mark = holdProgress(healed, mark);
  assert.equal(healed.updated, 3);
  const more = rollout(4);
  holdProgress(more, mark);
  assert.equal(more.updated, 4);
});

test('a finished rollout shows all updated even when one instance is being healed', () => {
  const done = rollout(3, { state: 'done' });
  holdProgress(done, undefined);
  assert.equal(done.updated, 4);
});

test('another rollout starts from its own count, and a scale-in caps the held count', () => {
  const mark = holdProgress(rollout(4), undefined);
  const next = rollout(1, { startedAt: 200, fromConfig: 'b', toConfig: 'c' });
  holdProgress(next, mark);
  assert.equal(next.updated, 1);
  const scaledIn = rollout(1, { total: 2 });
  holdProgress(scaledIn, mark);
  assert.equal(scaledIn.updated, 2);
});
