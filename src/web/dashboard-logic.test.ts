// The dashboard's pure modules (no DOM), run in node: the spec's YAML and diff, and how events
// move the instance table. The browser tests (test/e2e/dashboard-ui.test.ts) show them on screen.
import assert from 'node:assert/strict';
import { test } from 'node:test';

type Line = { op: ' ' | '-' | '+'; text: string };
type Group = { id: string; instances: Array<{ id: string; health: string; config?: string }> };
const yaml = (await import(new URL('./assets/yaml.js', import.meta.url).href)) as {
  toYaml(value: unknown): string;
  lineDiff(a: string, b: string): Line[];
};
const live = (await import(new URL('./assets/live.js', import.meta.url).href)) as {
  applyEvent(group: Group | undefined, event: Record<string, unknown>): boolean;
  HealthLog: new () => {
    note(id: string, health: string, at: number, why: string): void;
    of(id: string): Array<{ health: string }>;
  };
};

test('a spec reads as YAML; anything YAML would read as another type is quoted', () => {
  const text = yaml.toYaml({
    id: 'web',
    allocation: { size: 3, logicalIds: [] },
    flavor: { properties: { init: ['echo hi', 'a: b'], tags: { on: 'true', port: '8080', empty: '' } } },
    script: 'line 1\nline 2\n',
    groups: [{ id: 'a', n: 1 }],
    nothing: null,
  });
  assert.equal(
    text,
    [
      'id: web',
      'allocation:',
      '  size: 3',
      '  logicalIds: []',
      'flavor:',
      '  properties:',
      '    init:',
      '      - echo hi',
      '      - "a: b"',
      '    tags:',
      '      "on": "true"',
      '      port: "8080"',
      '      empty: ""',
      'script: |',
      '  line 1',
      '  line 2',
      'groups:',
      '  - id: a',
      '    n: 1',
      'nothing: null',
      '',
    ].join('\n'),
  );
});

test('the diff marks changed lines and keeps the rest', () => {
  const before = yaml.toYaml({ id: 'web', allocation: { size: 2 }, image: 'v1' });
  const after = yaml.toYaml({ id: 'web', allocation: { size: 4 }, image: 'v1', extra: true });
  assert.deepEqual(
    yaml.lineDiff(before, after).map((l) => `${l.op}${l.text}`),
    [' id: web', ' allocation:', '-  size: 2', '+  size: 4', ' image: v1', '+extra: true'],
  );
  assert.deepEqual(
    yaml.lineDiff(before, before).filter((l) => l.op !== ' '),
    [],
  );
});

test("events move the selected group's instance rows: created, vanished, replaced, unhealthy", () => {
  const group: Group = { id: 'web', instances: [{ id: 'i-1', health: 'healthy' }] };
  const at = 1_000;
  assert.equal(
    live.applyEvent(group, {
      type: 'created',
      groupId: 'web',
      instanceId: 'i-2',
      at,
      data: { config: 'c2' },
    }),
    true,
  );
  assert.deepEqual(
    group.instances.map((i) => [i.id, i.health, i.config]),
    [
      ['i-1', 'healthy', undefined],
      ['i-2', 'unknown', 'c2'],
    ],
  );
  assert.equal(
    live.applyEvent(group, { type: 'created', groupId: 'web', instanceId: 'i-2', at }),
    false,
    'no duplicate row',
  );
  assert.equal(live.applyEvent(group, { type: 'unhealthy', groupId: 'web', instanceId: 'i-1', at }), true);
  assert.equal(group.instances[0]?.health, 'unhealthy');
  assert.equal(
    live.applyEvent(group, {
      type: 'replaced',
      groupId: 'web',
      instanceId: 'i-3',
      at,
      data: { replaced: 'i-1' },
    }),
    true,
  );
  assert.deepEqual(
    group.instances.map((i) => i.id),
    ['i-2'],
  );
  assert.equal(live.applyEvent(group, { type: 'vanished', groupId: 'web', instanceId: 'i-2', at }), true);
  assert.deepEqual(group.instances, []);
  assert.equal(live.applyEvent(group, { type: 'created', groupId: 'other', instanceId: 'x', at }), false);
  assert.equal(live.applyEvent(undefined, { type: 'created', groupId: 'web', instanceId: 'x', at }), false);
});

test('the health seen per instance keeps changes only, and a bounded number of them', () => {
  const log = new live.HealthLog();
  log.note('i-1', 'unknown', 1, 'created');
  log.note('i-1', 'unknown', 2, 'status');
  log.note('i-1', 'healthy', 3, 'status');
  assert.deepEqual(
    log.of('i-1').map((e) => e.health),
    ['unknown', 'healthy'],
  );
  for (let i = 0; i < 200; i++) log.note('i-2', i % 2 === 0 ? 'healthy' : 'unhealthy', i, 'status');
  assert.equal(log.of('i-2').length, 50);
  assert.deepEqual(log.of('nobody'), []);
});

test('the page applies a status-delta: changed summaries replaced or added, removed ones gone', async () => {
  const api = (await import(new URL('./assets/api.js', import.meta.url).href)) as {
    applyStatusDelta(
      status: unknown,
      delta: unknown,
    ): { leader: boolean; groups: Array<{ id: string; healthy: number }> };
  };
  const status = {
    leader: false,
    groups: [
      { id: 'a', healthy: 3 },
      { id: 'b', healthy: 3 },
      { id: 'c', healthy: 1 },
    ],
  };
  const next = api.applyStatusDelta(status, {
    leader: true,
    changed: [
      { id: 'c', healthy: 2 },
      { id: 'aa', healthy: 0 },
    ],
    removed: ['b'],
  });
  assert.equal(next.leader, true);
  assert.deepEqual(next.groups, [
    { id: 'a', healthy: 3 },
    { id: 'aa', healthy: 0 },
    { id: 'c', healthy: 2 },
  ]);
});
