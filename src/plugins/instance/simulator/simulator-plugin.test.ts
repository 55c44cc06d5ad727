import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../../lib/index.js';
import {
  type InstanceEvent,
  type InstanceSpec,
  instanceId,
  TAG_GROUP,
  TAG_OP,
  TendError,
} from '../../../spi/index.js';
import { createSimulatorPlugin, type SimulatorOptions, simulatedHealthOf } from './index.js';

let ops = 0;
function spec(op = `op-${++ops}`, tags: Record<string, string> = {}): InstanceSpec {
  return { tags: { [TAG_GROUP]: 'g', [TAG_OP]: op, ...tags }, init: 'run', attachments: [] };
}

function simulator(extra: Partial<SimulatorOptions> = {}) {
  const clock = new VirtualClock({ start: 1_000_000 });
  const plugin = createSimulatorPlugin({ clock, seed: 42, ...extra });
  return { clock, plugin };
}

async function kindOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof TendError, `expected a TendError, got ${String(error)}`);
    return error.kind;
  }
}

test('provision is throttled past its burst and recovers as tokens refill', async () => {
  const { clock, plugin } = simulator();
  const results = [];
  for (let i = 0; i < 7; i++) results.push(await kindOf(plugin.provision(spec())));
  assert.deepEqual(results, ['ok', 'ok', 'ok', 'ok', 'ok', 'throttled', 'throttled']);
  await clock.advance(500); // 2 tokens per second
  assert.equal(await kindOf(plugin.provision(spec())), 'ok');
  assert.equal(await kindOf(plugin.provision(spec())), 'throttled');
  assert.equal(plugin.instances().length, 6);
  assert.deepEqual(plugin.stats().calls.provision, { ok: 6, throttled: 3, error: 0 });
  await plugin.close();
});

test('rate limits are per call kind and can be set or turned off', async () => {
  const { plugin } = simulator({
    rateLimits: { describe: { ratePerSec: 1, burst: 2 }, provision: 'unlimited' },
  });
  for (let i = 0; i < 20; i++) await plugin.provision(spec());
  assert.equal(await kindOf(plugin.describeInstances({})), 'ok');
  assert.equal(await kindOf(plugin.describeInstances({})), 'ok');
  assert.equal(await kindOf(plugin.describeInstances({})), 'throttled');
  assert.equal(
    await kindOf(plugin.destroy(plugin.instances()[0]?.id ?? instanceId(''), { reason: 'x' })),
    'ok',
  );
  await plugin.close();
});

test('a lost response creates the instance; the retry with the same tend.op returns it', async () => {
  const { plugin } = simulator({ faults: { lostResponseRate: 1 } });
  const lost = await plugin.provision(spec('op-lost')).catch((e: unknown) => e);
  assert.ok(TendError.is(lost, 'unavailable'));
  const [created] = plugin.instances();
  assert.ok(created);
  assert.equal(lost.details.instance, created.id);
  plugin.setFaults({ lostResponseRate: 0 });
  assert.equal(await plugin.provision(spec('op-lost')), created.id);
  assert.equal(plugin.instances().length, 1);
  const stats = plugin.stats();
  assert.deepEqual(stats.calls.provision, { ok: 1, throttled: 0, error: 1 });
  assert.equal(stats.created, 1);
  await plugin.close();
});

test('an injected provision failure creates nothing; a destroyed op key provisions anew', async () => {
  const { plugin } = simulator({ faults: { provisionFailureRate: 1 } });
  assert.equal(await kindOf(plugin.provision(spec('op-x'))), 'unavailable');
  assert.equal(plugin.instances().length, 0);
  plugin.setFaults({ provisionFailureRate: 0 });
  const first = await plugin.provision(spec('op-x'));
  await plugin.destroy(first, { reason: 'terminate' });
  const second = await plugin.provision(spec('op-x'));
  assert.notEqual(second, first);
  await plugin.close();
});

test('describe filters by every tag, fails on injected faults, and shows health', async () => {
  const { plugin } = simulator();
  const a = await plugin.provision(spec(undefined, { role: 'a' }));
  await plugin.provision(spec(undefined, { role: 'b' }));
  const found = await plugin.describeInstances({ [TAG_GROUP]: 'g', role: 'a' });
  assert.deepEqual(
    found.map((d) => d.id),
    [a],
  );
  assert.equal(simulatedHealthOf(found[0] ?? { id: a, tags: {} }), 'healthy');
  plugin.setHealth(a, 'unhealthy');
  const [again] = await plugin.describeInstances({ role: 'a' });
  assert.ok(again);
  assert.equal(simulatedHealthOf(again), 'unhealthy');
  assert.equal(plugin.simulatedHealth(a), 'unhealthy');
  plugin.setFaults({ describeFailureRate: 1 });
  assert.equal(await kindOf(plugin.describeInstances({})), 'unavailable');
  await plugin.close();
});

test('destroy of an unknown ID succeeds; label of one is not_found; bad properties are invalid_spec', async () => {
  const { plugin } = simulator();
  await plugin.destroy(instanceId('i-nothing'), { reason: 'terminate' });
  assert.equal(await kindOf(plugin.label(instanceId('i-nothing'), { a: 'b' })), 'not_found');
  assert.equal(await kindOf(plugin.validate(['a list'])), 'invalid_spec');
  assert.equal(await kindOf(plugin.provision({ ...spec(), properties: 3 })), 'invalid_spec');
  assert.equal(await kindOf(plugin.validate({ size: 'big' })), 'ok');
  await plugin.close();
});

test('latency sleeps on the clock, and an abort during it is a timeout', async () => {
  const { clock, plugin } = simulator({ latencyMs: { min: 100, max: 100 } });
  let done = false;
  const call = plugin.provision(spec()).then(() => {
    done = true;
  });
  await clock.advance(99);
  assert.equal(done, false);
  await clock.advance(1);
  await call;
  assert.equal(done, true);
  const controller = new AbortController();
  const aborted = plugin.describeInstances({}, { signal: controller.signal });
  controller.abort(new Error('leadership lost'));
  assert.equal(await kindOf(aborted), 'timeout');
  await plugin.close();
});

test('instances vanish over time and watchers hear it (autoTick)', async () => {
  const { clock, plugin } = simulator({ autoTick: true, rateLimits: { provision: 'unlimited' } });
  for (let i = 0; i < 10; i++) await plugin.provision(spec());
  const events: InstanceEvent[] = [];
  plugin.watch((event) => events.push(event));
  plugin.setFaults({ vanishRate: 0.5 });
  for (let s = 0; s < 10; s++) await clock.advance(1000);
  const vanished = plugin.stats().vanished;
  assert.ok(vanished >= 1, 'with p=0.5 per second for 10 s, some instance must vanish (seeded)');
  assert.equal(plugin.instances().length, 10 - vanished);
  assert.equal(events.length, vanished);
  assert.ok(events.every((e) => e.type === 'gone' && e.tags?.[TAG_GROUP] === 'g'));
  await plugin.close();
});

test('unhealthyRate turns healthy instances unhealthy, lazily at the next call', async () => {
  const { clock, plugin } = simulator({ faults: { unhealthyRate: 1 } });
  const id = await plugin.provision(spec());
  assert.equal(plugin.simulatedHealth(id), 'healthy');
  await clock.advance(1000);
  const [found] = await plugin.describeInstances({});
  assert.ok(found);
  assert.equal(simulatedHealthOf(found), 'unhealthy');
  assert.equal(plugin.stats().turnedUnhealthy, 1);
  assert.equal(plugin.simulatedHealth(instanceId('i-missing')), 'unknown');
  await plugin.close();
});

/** A busy script with latency, throttling and every fault; returns everything observable. */
async function script(seed: number) {
  const clock = new VirtualClock({ start: 0 });
  const plugin = createSimulatorPlugin({
    clock,
    seed,
    latencyMs: { min: 5, max: 50 },
    faults: {
      provisionFailureRate: 0.2,
      lostResponseRate: 0.2,
      describeFailureRate: 0.2,
      vanishRate: 0.05,
      unhealthyRate: 0.1,
    },
  });
  const outcomes: string[] = [];
  for (let round = 0; round < 20; round++) {
    const calls = [
      plugin.provision(spec(`op-${round}`)),
      plugin.provision(spec(`op-${round % 3}`)),
      plugin.describeInstances({}),
    ];
    const settled = Promise.allSettled(calls);
    await clock.advance(100);
    for (const result of await settled) {
      outcomes.push(
        result.status === 'fulfilled' ? JSON.stringify(result.value) : (result.reason as TendError).kind,
      );
    }
    await clock.advance(400);
  }
  const result = { outcomes, instances: plugin.instances(), stats: plugin.stats() };
  await plugin.close();
  return result;
}

test('the same seed gives the same run; another seed a different one', async () => {
  const first = await script(1234);
  assert.deepEqual(await script(1234), first);
  assert.notDeepEqual(await script(99), first);
  assert.ok(first.stats.calls.provision.throttled > 0, 'the script should hit throttling');
  assert.ok(first.stats.calls.provision.error > 0, 'the script should hit injected faults');
});

test('bad options and fault rates fail loudly', () => {
  const clock = new VirtualClock();
  assert.throws(() => createSimulatorPlugin({ clock, seed: 1, faults: { vanishRate: 2 } }), {
    message: 'simulator: faults.vanishRate must be a probability between 0 and 1, got 2',
  });
  assert.throws(() => createSimulatorPlugin({ clock, seed: 1, latencyMs: { min: 5, max: 1 } }), /latencyMs/);
  const plugin = createSimulatorPlugin({ clock, seed: 1 });
  assert.throws(() => plugin.setFaults(JSON.parse('{"typo":1}')), {
    message: 'simulator: unknown fault "typo"',
  });
});

test('vanish loses one instance: watchers hear it, or not when silent; its op provisions anew', async () => {
  const { plugin } = simulator({ rateLimits: { provision: 'unlimited' } });
  const heard: InstanceEvent[] = [];
  plugin.watch((event) => heard.push(event));
  const a = await plugin.provision(spec('op-a'));
  const b = await plugin.provision(spec('op-b'));
  assert.equal(plugin.vanish(a), true);
  assert.equal(plugin.vanish(b, { silent: true }), true);
  assert.equal(plugin.vanish(a), false, 'already gone');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    heard.map((e) => [e.type, e.id]),
    [['gone', a]],
  );
  assert.deepEqual(await plugin.describeInstances({ [TAG_GROUP]: 'g' }), []);
  assert.notEqual(await plugin.provision(spec('op-b')), b, 'a lost instance is not found by its op');
  assert.equal(plugin.stats().vanished, 2);
});
