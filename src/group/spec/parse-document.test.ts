import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TendError } from '../../spi/index.js';
import { parseSpecDocument } from './parse-document.js';
import { specToDocument } from './spec-to-document.js';

/** One valid group in YAML flow style; `extra` lines are appended inside the group. */
function group(fields: Record<string, string> = {}): string {
  const base: Record<string, string> = {
    id: 'workers',
    allocation: '{ size: 3 }',
    instance: '{ plugin: docker, properties: { image: "local/app:1" } }',
    flavor: '{ plugin: vanilla }',
    ...fields,
  };
  const lines = Object.entries(base)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `    ${k}: ${v}`);
  return `  - ${lines.join('\n').trimStart()}`;
}

function doc(...groups: string[]): string {
  return `groups:\n${groups.join('\n')}\n`;
}

function problemsOf(text: string, options: Parameters<typeof parseSpecDocument>[1] = {}): string[] {
  try {
    parseSpecDocument(text, options);
  } catch (error) {
    assert.ok(TendError.is(error, 'invalid_spec'), `expected invalid_spec, got ${String(error)}`);
    const problems = error.details.problems as Array<{ path: string; message: string }>;
    assert.equal(
      error.message,
      problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('\n'),
    );
    return error.message.split('\n');
  }
  assert.fail('expected the document to be rejected');
}

describe('parseSpecDocument: valid documents', () => {
  test('fills in every default', () => {
    const [spec] = parseSpecDocument(doc(group()));
    assert.deepEqual(spec, {
      id: 'workers',
      allocation: { size: 3 },
      instance: { plugin: 'docker', properties: { image: 'local/app:1' } },
      flavor: { plugin: 'vanilla' },
      health: { graceMs: 30_000, unhealthyAfterMs: 20_000, maxInFlight: 1 },
      update: {
        maxSurge: 1,
        maxUnavailable: 0,
        healthyForMs: 10_000,
        timeoutMs: 600_000,
        onFailure: 'rollback',
      },
      scaleIn: { order: 'oldest' },
    });
  });

  test('reads every section as written', () => {
    const [spec] = parseSpecDocument(
      doc(
        group({
          allocation: '{ logicalIds: [a, b, c] }',
          health: '{ grace: 2s, unhealthyAfter: 1m30s, maxInFlight: 2 }',
          update: '{ maxSurge: 0, maxUnavailable: 1, healthyFor: 500ms, timeout: 1h, onFailure: pause }',
          scaleIn: '{ order: unhealthy-first }',
        }),
      ),
    );
    assert.deepEqual(spec?.allocation, { logicalIds: ['a', 'b', 'c'] });
    assert.deepEqual(spec?.health, { graceMs: 2000, unhealthyAfterMs: 90_000, maxInFlight: 2 });
    assert.deepEqual(spec?.update, {
      maxSurge: 0,
      maxUnavailable: 1,
      healthyForMs: 500,
      timeoutMs: 3_600_000,
      onFailure: 'pause',
    });
    assert.deepEqual(spec?.scaleIn, { order: 'unhealthy-first' });
  });

  test('accepts JSON and a single group at top level', () => {
    const json = JSON.stringify({
      id: 'one',
      allocation: { size: 0 },
      instance: { plugin: 'flavor-zk/member' },
      flavor: { plugin: 'vanilla', properties: null },
      health: { grace: '1500ms' },
    });
    const [spec] = parseSpecDocument(json);
    assert.equal(spec?.id, 'one');
    assert.equal(spec?.health.graceMs, 1500);
    assert.equal(spec?.instance.plugin, 'flavor-zk/member');
    assert.deepEqual(spec?.flavor, { plugin: 'vanilla', properties: null });
  });

  test('accepts an InfraKit group at top level', () => {
    const text =
      '{"ID":"w","Properties":{"Allocation":{"Size":2},"Instance":{"Plugin":"p"},"Flavor":{"Plugin":"f"}}}';
    assert.deepEqual(parseSpecDocument(text)[0]?.allocation, { size: 2 });
  });

  test('an empty list of groups is nothing to do, not an error', () => {
    assert.deepEqual(parseSpecDocument('groups: []'), []);
  });

  test('specToDocument parses back to the same spec', () => {
    const specs = parseSpecDocument(doc(group({ health: '{ grace: 90s }' }), group({ id: 'b' })));
    const again = parseSpecDocument(JSON.stringify({ groups: specs.map(specToDocument) }));
    assert.deepEqual(again, specs);
    const [first] = specs;
    assert.ok(first);
    assert.deepEqual(specToDocument(first).health, { grace: '1m30s', unhealthyAfter: '20s', maxInFlight: 1 });
  });
});

describe('parseSpecDocument: exact messages', () => {
  const cases: Array<{ name: string; text: string; expected: string[]; known?: boolean }> = [
    {
      name: 'negative size',
      text: doc(group(), group({ id: 'b', allocation: '{ size: -2 }' })),
      expected: ['groups[1].allocation.size: expected a whole number ≥ 0, got -2'],
    },
    {
      name: 'fractional size and a size given as a string',
      text: doc(group({ allocation: '{ size: 1.5 }' }), group({ id: 'b', allocation: '{ size: "5" }' })),
      expected: [
        'groups[0].allocation.size: expected a whole number ≥ 0, got 1.5',
        'groups[1].allocation.size: expected a whole number ≥ 0, got "5"',
      ],
    },
    {
      name: 'both size and logicalIds',
      text: doc(group({ allocation: '{ size: 2, logicalIds: [a, b] }' })),
      expected: ['groups[0].allocation: expected either size or logicalIds, not both'],
    },
    {
      name: 'neither size nor logicalIds',
      text: doc(group({ allocation: '{}' })),
      expected: ['groups[0].allocation: expected size (a whole number ≥ 0) or logicalIds (a list of names)'],
    },
    {
      name: 'missing sections',
      text: doc('  - id: x'),
      expected: [
        'groups[0].allocation: required: expected a map with size or logicalIds',
        'groups[0].instance: required: expected a map with plugin and properties',
        'groups[0].flavor: required: expected a map with plugin and properties',
      ],
    },
    {
      name: 'unknown plugin',
      text: doc(group({ instance: '{ plugin: foo }' })),
      known: true,
      expected: ['groups[0].instance.plugin: unknown instance plugin "foo"'],
    },
    {
      name: 'malformed and empty plugin names',
      text: doc(group({ instance: '{ plugin: "" }', flavor: '{ plugin: "a/b/c" }' })),
      expected: [
        'groups[0].instance.plugin: expected a plugin name like "docker" or "lookup/type", got ""',
        'groups[0].flavor.plugin: expected a plugin name like "vanilla" or "lookup/type", got "a/b/c"',
      ],
    },
    {
      name: 'duplicate logical IDs',
      text: doc(group({ allocation: '{ logicalIds: [a, b, b, a] }' })),
      expected: [
        'groups[0].allocation.logicalIds[2]: duplicate logical ID "b"',
        'groups[0].allocation.logicalIds[3]: duplicate logical ID "a"',
      ],
    },
    {
      name: 'empty logical IDs',
      text: doc(
        group({ allocation: '{ logicalIds: [] }' }),
        group({ id: 'b', allocation: '{ logicalIds: [a, ""] }' }),
      ),
      expected: [
        'groups[0].allocation.logicalIds: expected at least one logical ID (use size: 0 for an empty group)',
        'groups[1].allocation.logicalIds[1]: expected a logical ID (a non-empty string), got ""',
      ],
    },
    {
      name: 'maxSurge and maxUnavailable both 0',
      text: doc(group({ update: '{ maxSurge: 0 }' })),
      expected: [
        'groups[0].update: maxSurge and maxUnavailable are both 0: a rollout could never replace an instance',
      ],
    },
    {
      name: 'bad durations',
      text: doc(group({ health: '{ grace: 3 0s, unhealthyAfter: -5 }', update: '{ timeout: 0 }' })),
      expected: [
        'groups[0].health.grace: expected a duration like "500ms", "30s", "10m" or "1h", got "3 0s"',
        'groups[0].health.unhealthyAfter: expected a duration like "500ms", "30s", "10m" or "1h", got -5',
        'groups[0].update.timeout: expected a duration above 0, got 0',
      ],
    },
    {
      name: 'durations without a unit (once silently milliseconds)',
      text: doc(
        group({
          health: '{ grace: 0, unhealthyAfter: 10 }',
          update: '{ healthyFor: "500", timeout: 1.5 }',
        }),
      ),
      expected: [
        'groups[0].health.unhealthyAfter: a duration needs a unit: write "10s" or "10ms" (or m, h), not a bare 10',
        'groups[0].update.healthyFor: a duration needs a unit: write "500s" or "500ms" (or m, h), not a bare 500',
        'groups[0].update.timeout: expected a duration like "500ms", "30s", "10m" or "1h", got 1.5',
      ],
    },
    {
      name: 'bad choices and limits',
      text: doc(
        group({ health: '{ maxInFlight: 0 }', update: '{ onFailure: retry }', scaleIn: '{ order: random }' }),
      ),
      expected: [
        'groups[0].health.maxInFlight: expected a whole number ≥ 1, got 0',
        'groups[0].update.onFailure: expected one of "pause", "rollback", got "retry"',
        'groups[0].scaleIn.order: expected one of "oldest", "newest", "unhealthy-first", got "random"',
      ],
    },
    {
      name: 'unknown keys, with a suggestion when one is close',
      text: doc(
        group({ alocation: '{ size: 1 }', allocation: '', flavour: '{}' }).replace(
          'flavor: { plugin: vanilla }',
          '',
        ),
      ),
      expected: [
        'groups[0].allocation: required: expected a map with size or logicalIds',
        'groups[0].flavor: required: expected a map with plugin and properties',
        'groups[0].alocation: unknown key (did you mean "allocation"?)',
        'groups[0].flavour: unknown key (did you mean "flavor"?)',
      ],
    },
    {
      name: 'unknown key far from any known one',
      text: doc(group({ instance: '{ plugin: docker, zzz: 1 }' })),
      expected: ['groups[0].instance.zzz: unknown key (expected one of: plugin, properties)'],
    },
    {
      name: 'bad and duplicate group IDs',
      text: doc(
        group({ id: '"no spaces"' }),
        group({ id: 'a' }),
        group({ id: 'a', allocation: '{ size: -1 }' }),
      ),
      expected: [
        'groups[0].id: expected a group ID of letters, digits, ".", "_" or "-", got "no spaces"',
        'groups[2].allocation.size: expected a whole number ≥ 0, got -1',
        'groups[2].id: duplicate group ID "a" (also groups[1])',
      ],
    },
    {
      name: 'properties that JSON cannot carry',
      text: doc(group({ instance: '{ plugin: docker, properties: { cpu: [1, .inf] } }' })),
      expected: ['groups[0].instance.properties.cpu[1]: expected a finite number, got Infinity'],
    },
    {
      name: 'invalid YAML names line and column',
      text: 'groups:\n  - id: a\n    allocation: { size: 1\n',
      expected: [
        'invalid YAML at line 4, column 1: Flow map in block collection must be sufficiently indented and end with a }',
      ],
    },
    {
      name: 'duplicate keys',
      text: 'groups: []\ngroups: []\n',
      expected: ['invalid YAML at line 2, column 1: Map keys must be unique'],
    },
    {
      name: 'unknown YAML tag',
      text: 'groups: !custom []\n',
      expected: ['invalid YAML at line 1, column 9: Unresolved tag: !custom'],
    },
    { name: 'empty document', text: '  \n', expected: ['document is empty'] },
    {
      name: 'a list at top level',
      text: '- a\n',
      expected: ['expected a map with "groups" (a list of groups) or a single group, got a list'],
    },
    {
      name: 'groups that is not a list, and a stray key',
      text: 'groups: {}\nextra: 1\n',
      expected: [
        'extra: unknown key (expected only "groups")',
        'groups: expected a list of groups, got a map',
      ],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const options = c.known ? { isKnownPlugin: (_kind: string, name: string) => name !== 'foo' } : {};
      assert.deepEqual(problemsOf(c.text, options), c.expected);
    });
  }
});
