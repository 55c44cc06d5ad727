import assert from 'node:assert/strict';
import { test } from 'node:test';
import { input, inst, testSpec } from '../testing/plan-fixtures.js';
import { plan } from './plan.js';
import type { Action, DestroyAction } from './types.js';

const destroyed = (a: Action[]) =>
  a.filter((x): x is DestroyAction => x.type === 'destroy').map((d) => [d.instanceId, d.reason]);
const t = 100_000;
const five = [
  inst('a', { slot: 0, firstSeen: 100 }),
  inst('b', { slot: 1, firstSeen: 500, health: 'unknown' }),
  inst('c', { slot: 2, firstSeen: 300 }),
  inst('d', { slot: 3, firstSeen: 400, health: 'unhealthy', unhealthySince: t - 1 }),
  inst('e', { slot: 4, firstSeen: 200 }),
];

test('scale-in follows scaleIn.order', () => {
  const cases = [
    [
      'oldest',
      [
        ['a', 'scale-in'],
        ['e', 'scale-in'],
      ],
    ],
    [
      'newest',
      [
        ['b', 'scale-in'],
        ['d', 'scale-in'],
      ],
    ],
    [
      'unhealthy-first',
      [
        ['d', 'scale-in'],
        ['b', 'scale-in'],
      ],
    ],
  ] as const;
  for (const [order, expected] of cases) {
    const spec = testSpec({ size: 3, scaleIn: { order } });
    assert.deepEqual(destroyed(plan(input(spec, five, t))), expected, order);
  }
});

test('scaling in never provisions, and scaling to zero removes everything', () => {
  const actions = plan(input(testSpec({ size: 0 }), five, t));
  assert.equal(actions.length, 5);
  assert.ok(actions.every((a) => a.type === 'destroy' && a.reason === 'scale-in'));
});

test('scale-out fills the lowest free slots', () => {
  const actions = plan(input(testSpec({ size: 7 }), five, t));
  assert.deepEqual(
    actions.map((a) => (a.type === 'provision' ? a.slot : a.type)),
    [5, 6],
  );
});

test('instances of an old config go before current ones', () => {
  const spec = testSpec({ size: 2, update: { maxSurge: 0, maxUnavailable: 2 } });
  const observed = [
    inst('old', { config: 'old', slot: 0, firstSeen: 900 }),
    inst('n1', { slot: 1, firstSeen: 1 }),
    inst('n2', { slot: 2, firstSeen: 2 }),
  ];
  const rollout = { fromConfig: 'old', toConfig: 'new', startedAt: t, state: 'running' as const };
  assert.deepEqual(destroyed(plan(input(spec, observed, t, { rollout }))), [['old', 'rollout']]);
});
