// How the controller tells failures apart: what status says, which errors open the breaker, which
// stop provisioning outright, and which only mean "the platform is down, back off".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePlannerState } from '../plan/state.js';
import { kit } from '../testing/controller-test-kit.js';
import type { ProvisionFault } from '../testing/fake-plugins.js';
import { testSpec } from '../testing/plan-fixtures.js';

const provisions = (k: ReturnType<typeof kit>) =>
  k.cloud.calls.filter((c) => c.startsWith('provision')).length;
const many = (fault: ProvisionFault, n = 1_000) => Array.from({ length: n }, () => fault);

async function ticks(k: ReturnType<typeof kit>, n: number, stepMs = 1_000) {
  for (let i = 0; i < n; i++) {
    await k.controller.tick();
    await k.clock.advance(stepMs);
  }
}

test('status keeps the last provision error, naming plugin and operation, until a provision works', async () => {
  const k = kit(testSpec({ size: 1 }));
  k.cloud.faults.push('fail', 'fail');
  await k.controller.tick();
  assert.equal(k.controller.status().lastError, 'simulator provision failed: quota exceeded');
  await k.clock.advance(1_000); // past the retry's backoff
  await k.controller.tick(); // the describe works; the provision fails again
  assert.match(k.controller.status().lastError ?? '', /provision failed: quota exceeded/);
  await k.clock.advance(2_000);
  await k.controller.tick(); // the provision works
  assert.equal(k.controller.status().lastError, undefined);
});

test('a describe error is shown while blind, and a provision error outlives later describes', async () => {
  const k = kit(testSpec({ size: 1 }));
  k.cloud.faults.push('fail');
  await k.controller.tick();
  k.cloud.describeFails = true;
  await k.controller.tick();
  assert.equal(k.controller.status().lastError, 'simulator describe failed: describe failed');
  k.cloud.describeFails = false;
  k.controller.pause(); // describes only
  await k.controller.tick();
  assert.equal(
    k.controller.status().lastError,
    'simulator provision failed: quota exceeded',
    'the describe recovered; the provision has not yet',
  );
});

test('the breaker reason carries the last failure’s message', async () => {
  const k = kit(testSpec({ size: 2 }), { breaker: { threshold: 3, coolDownMs: 60_000 } });
  k.cloud.faults.push(...many('fail'));
  for (let i = 0; i < 10 && !k.controller.status().breaker.open; i++) await ticks(k, 1);
  const { breaker } = k.controller.status();
  assert.equal(breaker.open, true);
  assert.match(breaker.reason ?? '', /replacements failed in a row/);
  assert.match(breaker.reason ?? '', /quota exceeded/);
  const opened = k.events.find((e) => e.type === 'breaker-open');
  assert.match(opened?.message ?? '', /quota exceeded/);
});

test('invalid_spec stops provisioning at once and for good, until the spec changes', async () => {
  const k = kit(testSpec({ size: 3 }), { breaker: { threshold: 5, coolDownMs: 60_000 } });
  k.cloud.faults.push(...many('invalid'));
  await k.controller.tick();
  assert.equal(provisions(k), 3, 'the one tick’s attempts, then no more');
  const status = k.controller.status();
  assert.equal(status.phase, 'breaker-open');
  assert.equal(status.breaker.open, true);
  assert.match(status.breaker.reason ?? '', /image "nope" not found/);
  assert.match(status.breaker.reason ?? '', /not retried: fix the spec/);
  assert.equal(k.types().filter((t) => t === 'breaker-open').length, 1);

  await ticks(k, 30, 10_000); // five minutes: no cool-down trial either
  assert.equal(provisions(k), 3);
  assert.equal(parsePlannerState(k.journal.state()).breaker.status, 'open', 'a new leader would not retry');

  k.cloud.faults.length = 0;
  k.controller.update(testSpec({ size: 3, image: 'app:fixed' }));
  await k.controller.tick();
  assert.equal(k.cloud.instances.size, 3, 'a new config is tried at once');
  assert.equal(k.controller.status().breaker.open, false);
  assert.ok(k.types().includes('breaker-closed'));
});

test('invalid_spec: the operator’s resume tries the same spec again', async () => {
  const k = kit(testSpec({ size: 2 }));
  k.cloud.faults.push('invalid', 'invalid');
  await k.controller.tick();
  await ticks(k, 5);
  assert.equal(provisions(k), 2);
  k.controller.resume(); // say the missing image has been pulled since
  await k.controller.tick();
  assert.equal(k.cloud.instances.size, 2);
  assert.equal(k.controller.status().phase, 'converging');
});

test('a platform that is down (unavailable, timeout) or full (exhausted) does not open the breaker; the loop backs off', async () => {
  for (const fault of ['unavailable', 'timeout', 'exhausted'] as const) {
    const k = kit(testSpec({ size: 6 }), { breaker: { threshold: 5, coolDownMs: 60_000 } });
    k.cloud.faults.push(...many(fault, 10_000));
    k.controller.start(new AbortController().signal);
    await k.clock.advance(600_000); // ten minutes of virtual time
    const status = k.controller.status();
    assert.equal(status.breaker.open, false, fault);
    assert.equal(status.breaker.consecutiveFailures, 0, fault);
    assert.ok(!k.types().includes('breaker-open'), fault);
    const why = { timeout: /timed out/, unavailable: /unreachable/, exhausted: /no free host matches/ }[
      fault
    ];
    assert.match(status.lastError ?? '', why);
    assert.ok(k.types().includes('provision-failed'), `${fault}: an event says so`);
    // A tick a second would be 600 rounds; the capped backoff allows a few dozen.
    const rounds = provisions(k) / 6;
    assert.ok(rounds <= 60, `${fault}: ${rounds} rounds of provisions in ten minutes`);
    k.cloud.faults.length = 0;
    await k.clock.advance(60_000);
    assert.equal(k.cloud.instances.size, 6, `${fault}: recovers once the platform is back`);
    await k.controller.stop();
  }
});

test('internal provision errors still count toward the breaker', async () => {
  const k = kit(testSpec({ size: 2 }), { breaker: { threshold: 3, coolDownMs: 60_000 } });
  k.cloud.faults.push(...many('fail'));
  await ticks(k, 5);
  assert.ok(k.types().includes('breaker-open'));
});

test('a half-open trial that meets an outage is tried again, not left waiting for a verdict', async () => {
  const k = kit(testSpec({ size: 1 }), { breaker: { threshold: 2, coolDownMs: 60_000 } });
  k.cloud.faults.push('fail', 'fail');
  await ticks(k, 3);
  assert.equal(k.controller.status().breaker.open, true);
  await k.clock.advance(60_000);
  k.cloud.faults.push('unavailable');
  await k.controller.tick(); // the trial: the platform is down
  await k.controller.tick(); // the trial again, and it works
  assert.equal(k.cloud.instances.size, 1);
  await k.controller.tick(); // healthy at first look
  await k.clock.advance(10_000);
  await k.controller.tick(); // stable: the verdict closes the breaker
  assert.equal(k.controller.status().breaker.open, false);
});

test('after a long outage the first successful describe resets the backoff', async () => {
  const k = kit(testSpec({ size: 2 }));
  k.controller.start(new AbortController().signal);
  await k.clock.advance(0);
  assert.equal(k.cloud.instances.size, 2);
  k.cloud.describeFails = true;
  await k.clock.advance(600_000); // the backoff has reached its 30 s cap
  k.cloud.describeFails = false;
  k.cloud.instances.clear();
  k.cloud.faults.push('unavailable'); // the first provision after the outage still fails
  const before = provisions(k);
  for (let i = 0; i < 40 && provisions(k) === before; i++) await k.clock.advance(1_000);
  assert.equal(provisions(k), before + 2, 'the first round after the outage ran (one of two failed)');
  assert.equal(k.cloud.instances.size, 1);
  await k.clock.advance(3_000);
  assert.equal(k.cloud.instances.size, 2, 'retried soon, not after another 30 s');
  await k.controller.stop();
});
