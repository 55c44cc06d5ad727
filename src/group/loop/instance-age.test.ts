// Issue #10 failure 15: an instance's age is the platform's, not the first tick that saw it, so
// it survives a manager restart or failover — and a new leader still never takes an instance a
// previous leader made for one of its own that "died early".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type InstanceDescription, instanceId } from '../../spi/index.js';
import { isBooting, isUnhealthyLong } from '../plan/helpers.js';
import { kit } from '../testing/controller-test-kit.js';
import { testSpec } from '../testing/plan-fixtures.js';
import { createHealthTracker } from './observe.js';

const rule = { graceMs: 1_000, upMs: 10_000 };
const at = (id: string, createdAt?: number): InstanceDescription => ({
  id: instanceId(id),
  tags: {},
  ...(createdAt === undefined ? {} : { createdAt }),
});

test("age counts from the platform's creation time, the same for every tracker", () => {
  const before = createHealthTracker().observe([at('a', 1_000)], ['healthy'], 50_000, rule);
  assert.equal(before.observed[0]?.firstSeen, 1_000);
  // A restarted manager: a fresh tracker, much later.
  const after = createHealthTracker().observe([at('a', 1_000)], ['healthy'], 90_000, rule);
  assert.equal(after.observed[0]?.firstSeen, 1_000);
  // Without a platform time, the first look is all there is (as before).
  assert.equal(
    createHealthTracker().observe([at('b')], ['healthy'], 90_000, rule).observed[0]?.firstSeen,
    90_000,
  );
});

test("the platform's time replaces Tend's own, unless it is still in the future (skew)", () => {
  const tracker = createHealthTracker();
  // Created by this leader at the start of a tick; the platform started it a little later.
  tracker.created(instanceId('mine'), 50);
  assert.equal(tracker.observe([at('mine', 80)], ['healthy'], 100, rule).observed[0]?.firstSeen, 80);
  tracker.observe([at('a')], ['healthy'], 5_000, rule);
  const seen = tracker.observe([at('a', 7_000)], ['healthy'], 6_000, rule);
  assert.equal(seen.observed[0]?.firstSeen, 5_000);
  assert.equal(tracker.observe([at('a', 7_000)], ['healthy'], 7_500, rule).observed[0]?.firstSeen, 7_000);
  const bogus = createHealthTracker().observe(
    [at('z', Number.NaN), at('y', -1)],
    ['healthy', 'healthy'],
    9,
    rule,
  );
  assert.deepEqual(
    bogus.observed.map((o) => o.firstSeen),
    [9, 9],
  );
});

test('an old instance is past grace for a new leader; a young one another leader made is booting', () => {
  const spec = testSpec({ size: 1 });
  const now = 1_700_000_000_000;
  const [old, young] = createHealthTracker().observe(
    [at('old', now - 3_600_000), at('young', now - 100)],
    ['unhealthy', 'unknown'],
    now,
    rule,
  ).observed;
  assert.ok(old && young);
  assert.equal(isBooting(old, spec, now), false);
  assert.equal(isBooting(young, spec, now), true, 'its boot window counts from its creation');
  // Replacement still waits for `unhealthyAfter` from this leader's first unhealthy look.
  assert.equal(isUnhealthyLong(old, spec, now), spec.health.unhealthyAfterMs === 0);
});

test('a young instance a previous leader made that goes away is no early exit of ours', () => {
  const tracker = createHealthTracker();
  tracker.observe([at('young', 9_900)], ['healthy'], 10_000, rule);
  const { exits, vanished } = tracker.observe([], [], 10_500, rule);
  assert.deepEqual(exits, []);
  assert.deepEqual(vanished, ['young']);
});

test('status createdAt is unchanged when the controller is re-created (a restart)', async () => {
  const k = kit(testSpec({ size: 2 }));
  k.cloud.platformTimes = true;
  const first = new AbortController();
  k.controller.start(first.signal);
  for (let i = 0; i < 5 && k.controller.status().observed < 2; i++) await k.clock.advance(1_000);
  const before = k.controller.status().instances.map((i) => [i.id, i.createdAt]);
  assert.equal(before.length, 2);
  first.abort();
  await k.controller.stop();

  await k.clock.advance(60_000);
  const second = k.make();
  second.start(new AbortController().signal);
  for (let i = 0; i < 5 && second.status().observed < 2; i++) await k.clock.advance(1_000);
  assert.deepEqual(
    second.status().instances.map((i) => [i.id, i.createdAt]),
    before,
  );
  await second.stop();
});

test('after a restart, instances the old leader made that exit early do not trip the breaker', async () => {
  const k = kit(testSpec({ size: 3 }), { breaker: { threshold: 2, coolDownMs: 60_000 } });
  k.cloud.platformTimes = true;
  const first = new AbortController();
  k.controller.start(first.signal);
  for (let i = 0; i < 5 && k.controller.status().observed < 3; i++) await k.clock.advance(500);
  first.abort();
  await k.controller.stop();
  const second = k.make();
  second.start(new AbortController().signal);
  await k.clock.advance(500);
  // All three die young, under the new leader's eyes.
  for (const id of [...k.cloud.instances.keys()]) k.cloud.vanish(id);
  for (let i = 0; i < 5; i++) await k.clock.advance(1_000);
  const status = second.status();
  assert.equal(status.breaker.open, false);
  assert.equal(status.breaker.consecutiveFailures, 0);
  await second.stop();
});
