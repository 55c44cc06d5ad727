import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kit } from '../testing/controller-test-kit.js';
import { testSpec } from '../testing/plan-fixtures.js';

test('failed replacements open the breaker; after the cool-down one trial goes through', async () => {
  const k = kit(testSpec({ size: 2 }), { breaker: { threshold: 5, coolDownMs: 60_000 } });
  k.cloud.faults.push(...Array.from({ length: 100 }, () => 'fail' as const));
  // Ticks a second apart; failed replacements wait out their backoff, so some ticks hold back.
  for (let i = 0; i < 30 && !k.types().includes('breaker-open'); i++) {
    await k.controller.tick();
    await k.clock.advance(1_000);
  }
  assert.ok(k.types().includes('breaker-open'));
  const status = k.controller.status();
  assert.equal(status.phase, 'breaker-open');
  assert.equal(status.breaker.open, true);
  assert.match(status.breaker.reason ?? '', /replacements failed in a row/);

  const provisions = () => k.cloud.calls.filter((c) => c.startsWith('provision')).length;
  const before = provisions();
  for (let i = 0; i < 10; i++) {
    await k.controller.tick();
    await k.clock.advance(1_000);
  }
  assert.equal(provisions(), before, 'no remediation while open: no endless loop');

  await k.clock.advance(60_000);
  await k.controller.tick(); // half-open: one trial, which fails again
  assert.equal(provisions(), before + 1);
  assert.equal(k.controller.status().breaker.open, true, 'a failed trial re-opens');
  await k.controller.tick();
  assert.equal(provisions(), before + 1);

  k.cloud.faults.length = 0;
  await k.clock.advance(60_000);
  await k.controller.tick(); // the next trial works
  assert.equal(k.cloud.instances.size, 1);
  await k.clock.advance(1_000);
  await k.controller.tick(); // its instance looks healthy: not proof yet
  assert.ok(!k.types().includes('breaker-closed'));
  await k.clock.advance(10_000);
  await k.controller.tick(); // past grace and healthy for the stable period: the breaker closes
  assert.ok(k.types().includes('breaker-closed'));
  await k.controller.tick();
  assert.equal(k.cloud.instances.size, 2);
  assert.equal(k.controller.status().breaker.open, false);
});

test('replacements that never become healthy count as failures too', async () => {
  const k = kit(testSpec({ size: 1, health: { graceMs: 0, unhealthyAfterMs: 0 } }), {
    breaker: { threshold: 3, coolDownMs: 600_000 },
  });
  k.flavor.fallback = 'unhealthy';
  for (let i = 0; i < 20 && !k.types().includes('breaker-open'); i++) {
    await k.controller.tick();
    await k.clock.advance(1_000);
  }
  assert.ok(k.types().includes('breaker-open'));
  const created = k.types().filter((t) => t === 'created').length;
  assert.ok(created <= 4, `stopped after a few replacements, made ${created}`);
});
