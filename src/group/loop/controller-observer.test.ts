import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kit } from '../testing/controller-test-kit.js';
import { testSpec } from '../testing/plan-fixtures.js';
import type { ControllerObserver } from './observer.js';

function recorder() {
  const seen: string[] = [];
  const observer: ControllerObserver = {
    tickStarted: (r) => seen.push(`start ${r.group}`),
    observed: (r) => seen.push(`observed ${r.instances ?? 'blind'}`),
    call: (r) => seen.push(`${r.plugin} ${r.method}${r.error === undefined ? '' : ` ${r.error.kind}`}`),
    outcome: (r) =>
      seen.push(`outcome +${r.created.length} -${r.destroyed.length} failed ${r.failedProvisions}`),
    tickEnded: (r) => seen.push(`end acted=${r.acted} failed=${r.failed}`),
  };
  return { seen, observer };
}

test('the controller reports each tick: start, its look, its calls, their outcome, end', async () => {
  const { seen, observer } = recorder();
  const k = kit(testSpec({ size: 2 }), { observer });
  k.cloud.faults.push('fail');
  await k.controller.tick();
  assert.deepEqual(seen, [
    'start g',
    'observed 0',
    'simulator provision internal',
    'simulator provision',
    'outcome +1 -0 failed 1',
    'end acted=true failed=true',
  ]);
  seen.length = 0;
  k.cloud.describeFails = true;
  await k.controller.tick();
  assert.deepEqual(seen, ['start g', 'observed blind', 'end acted=false failed=true']);
});

test('destroy-all and destroy-these are reported like any tick', async () => {
  const { seen, observer } = recorder();
  const k = kit(testSpec({ size: 2 }), { observer });
  await k.controller.tick();
  await k.controller.tick();
  const [first] = [...k.cloud.instances.keys()];
  assert.ok(first !== undefined);
  seen.length = 0;
  await k.controller.destroyInstances([first], {
    recorded: async () => k.controller.update(testSpec({ size: 1 })),
  });
  assert.ok(seen.includes('simulator destroy'));
  assert.ok(seen.includes('outcome +0 -1 failed 0'));
  seen.length = 0;
  await k.controller.destroyAll();
  assert.ok(seen.includes('simulator destroy'));
});

test('an observer that throws is logged and ignored', async () => {
  const k = kit(testSpec({ size: 1 }), {
    observer: {
      tickStarted: () => {
        throw new Error('broken observer');
      },
    },
  });
  await k.controller.tick();
  assert.equal(k.cloud.instances.size, 1);
});
