import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TAG_CONFIG, TAG_EPOCH, TAG_GROUP, TAG_OP, TendError } from '../../spi/index.js';
import { parsePlannerState } from '../plan/state.js';
import { configHash } from '../spec/index.js';
import { kit } from '../testing/controller-test-kit.js';
import { testSpec } from '../testing/plan-fixtures.js';

test('a tick creates the missing instances with Tend tags, journaling each call', async () => {
  const { controller, cloud, journal, types } = kit();
  await controller.tick();
  assert.equal(cloud.instances.size, 3);
  const hash = configHash(testSpec());
  for (const i of cloud.instances.values()) {
    assert.equal(i.tags[TAG_GROUP], 'g');
    assert.equal(i.tags[TAG_CONFIG], hash);
    assert.equal(i.tags[TAG_EPOCH], '7');
    assert.match(i.tags[TAG_OP] ?? '', new RegExp(`^g:${hash}:[0-2]:0$`));
    assert.equal(i.tags.role, 'test', 'the flavor prepared it');
  }
  assert.deepEqual(
    journal.history.map((i) => i.operation),
    ['provision', 'provision', 'provision'],
  );
  assert.deepEqual(journal.intents(), [], 'every intent cleared after its call');
  assert.deepEqual(types(), ['created', 'created', 'created']);
  await controller.tick();
  assert.equal(cloud.instances.size, 3, 'nothing more to do');
});

test('a failed describe means no action at all this tick', async () => {
  const { controller, cloud, types } = kit();
  await controller.tick();
  cloud.describeFails = true;
  cloud.calls.length = 0;
  cloud.instances.clear();
  await controller.tick();
  assert.deepEqual(cloud.calls, ['describe']);
  assert.equal(controller.status().phase, 'blind');
  assert.equal(types().at(-1), 'blind');
  cloud.describeFails = false;
  await controller.tick();
  assert.equal(cloud.instances.size, 3);
  assert.notEqual(controller.status().phase, 'blind');
});

test('a describe that hangs past its timeout is treated as failed', async () => {
  const { controller, cloud, clock } = kit(testSpec(), { describeTimeoutMs: 5_000 });
  cloud.describeHangs = true;
  const tick = controller.tick();
  await clock.advance(0); // let the tick reach its describe
  await clock.advance(5_000);
  await tick;
  assert.equal(controller.status().phase, 'blind');
  assert.match(controller.status().lastError ?? '', /describe took over 5000 ms/);
  assert.deepEqual(cloud.calls, ['describe']);
});

test('an unhealthy instance is drained, destroyed and replaced after grace and unhealthyAfter', async () => {
  const { controller, cloud, flavor, clock, types } = kit();
  await controller.tick();
  const [victim] = [...cloud.instances.keys()];
  assert.ok(victim !== undefined);
  flavor.health.set(victim, 'unhealthy');
  await clock.advance(10_000); // grace over; unhealthy streak starts at the next look
  await controller.tick();
  assert.ok(cloud.instances.has(victim));
  await clock.advance(5_000);
  await controller.tick();
  assert.equal(cloud.instances.has(victim), false);
  assert.equal(cloud.instances.size, 3);
  assert.deepEqual(flavor.drained, [victim]);
  assert.deepEqual(types().slice(3), ['unhealthy', 'destroyed', 'created', 'replaced']);
});

test('a lost provision response creates no duplicate: the key is reused', async () => {
  const { controller, cloud } = kit(testSpec({ size: 1 }));
  cloud.faults.push('lose');
  await controller.tick();
  assert.equal(cloud.instances.size, 1, 'the instance exists although the call failed');
  await controller.tick();
  assert.equal(cloud.instances.size, 1);
  assert.deepEqual(cloud.calls.filter((c) => c.startsWith('provision')).length, 1);
});

test('a failed provision is retried with the same key', async () => {
  const { controller, cloud, clock, types } = kit(testSpec({ size: 1 }));
  cloud.faults.push('fail');
  await controller.tick();
  assert.equal(cloud.instances.size, 0);
  assert.ok(types().includes('provision-failed'));
  await clock.advance(1_000); // past the retry's backoff
  await controller.tick();
  const provisions = cloud.calls.filter((c) => c.startsWith('provision'));
  assert.equal(provisions.length, 2);
  assert.equal(provisions[0], provisions[1]);
});

test('throttled calls back off and retry within the tick', async () => {
  const { controller, cloud, clock } = kit(testSpec({ size: 1 }));
  cloud.faults.push('throttle', 'throttle');
  const tick = controller.tick();
  for (let i = 0; i < 10 && cloud.instances.size === 0; i++) await clock.advance(1_000);
  await tick;
  assert.equal(cloud.instances.size, 1);
});

test('lifecycle: start once; stop from created; illegal transitions throw', async () => {
  const { make } = kit();
  const a = make();
  await a.stop();
  assert.equal(a.state, 'stopped');
  assert.throws(
    () => a.start(new AbortController().signal),
    (e) => TendError.is(e, 'conflict'),
  );
  const b = make();
  b.start(new AbortController().signal);
  assert.throws(
    () => b.start(new AbortController().signal),
    (e) => TendError.is(e, 'conflict'),
  );
  await b.stop();
  assert.equal(b.state, 'stopped');
});

test('the loop ticks on its interval and stops at once when leadership is lost', async () => {
  const { controller, cloud, clock } = kit();
  const leadership = new AbortController();
  controller.start(leadership.signal);
  await clock.advance(0);
  assert.equal(cloud.instances.size, 3);
  cloud.instances.clear();
  await clock.advance(1_000);
  assert.equal(cloud.instances.size, 3, 'the next tick healed');
  leadership.abort(new TendError('not_leader', 'lease lost'));
  await clock.advance(0);
  assert.equal(controller.state, 'stopped');
  cloud.instances.clear();
  await clock.advance(5_000);
  assert.equal(cloud.instances.size, 0, 'a stopped controller does nothing');
});

test('a watch event wakes the loop before the next interval', async () => {
  const { make, cloud, clock } = kit();
  const controller = make({ tickIntervalMs: 60_000 });
  controller.start(new AbortController().signal);
  await clock.advance(0);
  await clock.advance(120_000); // long enough to be stable: its death is no crash loop
  const [victim] = [...cloud.instances.keys()];
  assert.ok(victim !== undefined);
  cloud.vanish(victim);
  await clock.advance(0);
  assert.equal(cloud.instances.size, 3, 'replaced without waiting 60 s');
  await controller.stop();
});

test('pause stops every action; resume restarts them', async () => {
  const { controller, cloud } = kit();
  controller.pause();
  await controller.tick();
  assert.equal(cloud.instances.size, 0);
  assert.equal(controller.status().phase, 'paused');
  controller.resume();
  await controller.tick();
  assert.equal(cloud.instances.size, 3);
});

test('destroyAll drains and destroys every instance, then stops', async () => {
  const { controller, cloud, flavor, clock } = kit();
  controller.start(new AbortController().signal);
  await clock.advance(0);
  assert.equal(cloud.instances.size, 3);
  await controller.destroyAll();
  assert.equal(cloud.instances.size, 0);
  assert.equal(flavor.drained.length, 3);
  assert.equal(controller.state, 'stopped');
});

test('status reports counts by config and phase', async () => {
  const { controller } = kit();
  await controller.tick();
  const status = controller.status();
  assert.equal(status.desired, 3);
  assert.equal(status.observed, 0, 'the first look saw nothing yet');
  await controller.tick();
  const later = controller.status();
  assert.equal(later.observed, 3);
  assert.deepEqual(later.byConfig, { [configHash(testSpec())]: 3 });
  assert.equal(later.phase, 'converged');
  assert.equal(later.instances.length, 3);
});

test('an instance that dies before the next describe is replaced under a fresh key', async () => {
  const { controller, cloud, journal } = kit();
  await controller.tick();
  const hash = configHash(testSpec());
  const doomed = [...cloud.instances.values()].find((i) => i.tags[TAG_OP] === `g:${hash}:2:0`);
  assert.ok(doomed !== undefined);
  // Gone before the controller ever described it: only the provision's success tells of it.
  cloud.instances.delete(doomed.id);
  assert.deepEqual(parsePlannerState(journal.state()).generations, { '0': 0, '1': 0, '2': 0 });
  await controller.tick();
  const provisions = cloud.calls.filter((c) => c.startsWith('provision'));
  assert.equal(provisions.at(-1), `provision g:${hash}:2:1`, 'the dead instance’s key is not reused');
  assert.equal(cloud.instances.size, 3);
});

test('a deposed leader’s provision that did happen spends its key, even if the instance dies', async () => {
  const k = kit(testSpec({ size: 1 }));
  const hash = configHash(testSpec({ size: 1 }));
  const key = `g:${hash}:0:0`;
  await k.cloud.provision({
    tags: { [TAG_GROUP]: 'g', [TAG_CONFIG]: hash, [TAG_OP]: key },
    init: '',
    attachments: [],
  });
  await k.journal.putIntent({
    key,
    groupId: testSpec().id,
    operation: 'provision',
    config: hash,
    epoch: 6,
    at: '',
  });
  const lookup = k.cloud.describeInstances.bind(k.cloud);
  k.cloud.describeInstances = async (tags, options) => {
    const found = await lookup(tags, options);
    // The instance dies right after the new leader found it through the intent.
    if (tags[TAG_OP] === key) k.cloud.instances.clear();
    return found;
  };
  k.controller.start(new AbortController().signal);
  await k.clock.advance(0);
  await k.controller.stop();
  assert.deepEqual(
    k.cloud.calls.filter((c) => c.startsWith('provision')),
    [`provision ${key}`, `provision g:${hash}:0:1`],
  );
});

test('an instance that disappears by itself is reported vanished, then replaced', async () => {
  const { controller, cloud, events, clock } = kit();
  await controller.tick();
  await controller.tick(); // listed once: now Tend knows it existed
  await clock.advance(60_000); // a veteran: its loss is ordinary wear, replaced at once
  await controller.tick();
  const [victim] = [...cloud.instances.keys()];
  assert.ok(victim !== undefined);
  cloud.instances.delete(victim);
  await controller.tick();
  const vanished = events.filter((e) => e.type === 'vanished');
  assert.deepEqual(
    vanished.map((e) => e.instanceId),
    [victim],
  );
  assert.equal(cloud.instances.size, 3, 'replaced in the same tick');
  assert.equal(events.filter((e) => e.type === 'vanished' && e.instanceId !== victim).length, 0);
});

test('an instance Tend destroys itself is not reported vanished', async () => {
  const { controller, events } = kit(testSpec({ size: 3 }));
  await controller.tick();
  await controller.tick();
  controller.update(testSpec({ size: 1 }));
  await controller.tick();
  await controller.tick();
  assert.equal(events.filter((e) => e.type === 'destroyed').length, 2);
  assert.equal(events.filter((e) => e.type === 'vanished').length, 0);
});

test("a watch-woken tick asks its describe as urgent; the interval's ticks do not", async () => {
  const { make, cloud, clock } = kit();
  const asked: boolean[] = [];
  const controller = make({
    describer: {
      describe: (tags, _signal, _epoch, options) => {
        asked.push(options?.urgent === true);
        return cloud.describeInstances(tags as Record<string, string>);
      },
    },
  });
  controller.start(new AbortController().signal);
  await clock.advance(0);
  await clock.advance(1_000);
  const [victim] = [...cloud.instances.keys()];
  assert.ok(victim !== undefined);
  cloud.vanish(victim);
  await clock.advance(0);
  await controller.stop();
  assert.deepEqual(asked, [false, false, true]);
});
