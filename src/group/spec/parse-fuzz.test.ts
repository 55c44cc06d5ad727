import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { TendError } from '../../spi/index.js';
import { fromInfraKitGroup } from './infrakit.js';
import { parseSpecDocument } from './parse-document.js';
import { parseGroupObject } from './parse-group.js';
import { specToDocument } from './spec-to-document.js';

// The parser faces users' files and the network: whatever it is given, it must return a valid
// spec or throw an invalid_spec TendError — never a TypeError or a stack overflow.

const RUNS = { numRuns: 300, seed: 20240601 };

function mustBeValidOrInvalidSpec(run: () => unknown): void {
  try {
    const result = run();
    const specs = Array.isArray(result) ? result : [result];
    for (const spec of specs) {
      // A returned spec must survive its own round trip.
      assert.deepEqual(parseGroupObject(specToDocument(spec)), spec);
    }
  } catch (error) {
    if (!TendError.is(error, 'invalid_spec')) throw error;
    assert.ok(Array.isArray(error.details.problems) && error.details.problems.length > 0);
  }
}

const validGroup = {
  id: 'workers',
  allocation: { size: 3 },
  instance: { plugin: 'docker', properties: { image: 'app:1' } },
  flavor: { plugin: 'vanilla', properties: { init: ['echo hi'] } },
  health: { grace: '30s', unhealthyAfter: '20s', maxInFlight: 1 },
  update: { maxSurge: 1, maxUnavailable: 0, healthyFor: '10s', timeout: '10m', onFailure: 'rollback' },
  scaleIn: { order: 'oldest' },
};

type Mutation = { path: string[]; value: unknown } | { path: string[]; remove: true };

const keyArb = fc.constantFrom(
  'id',
  'allocation',
  'size',
  'logicalIds',
  'instance',
  'flavor',
  'plugin',
  'properties',
  'health',
  'grace',
  'maxSurge',
  'maxUnavailable',
  'update',
  'timeout',
  'scaleIn',
  'order',
  'typo',
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ path: fc.array(keyArb, { minLength: 1, maxLength: 3 }), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({
    path: fc.array(keyArb, { minLength: 1, maxLength: 3 }),
    value: fc.oneof(
      fc.integer({ min: -5, max: 5 }),
      fc.double(),
      fc.constantFrom('', '1s', '0', 'a/b', '-1ms', 'oldest', 'pause', Number.NaN, Number.POSITIVE_INFINITY),
      fc.array(fc.constantFrom('a', 'b', '', 1)),
    ),
  }),
  fc.record({ path: fc.array(keyArb, { minLength: 1, maxLength: 3 }), remove: fc.constant(true as const) }),
);

function mutate(base: unknown, mutation: Mutation): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  const parents = mutation.path.slice(0, -1);
  for (const key of parents) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = mutation.path[mutation.path.length - 1] ?? 'id';
  if ('remove' in mutation) delete node[last];
  else node[last] = mutation.value;
  return copy;
}

test('fuzz: random JSON values as a group object', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
      mustBeValidOrInvalidSpec(() => parseGroupObject(value));
      mustBeValidOrInvalidSpec(() => fromInfraKitGroup(value));
      mustBeValidOrInvalidSpec(() => parseSpecDocument(JSON.stringify(value) ?? 'null'));
    }),
    RUNS,
  );
});

test('fuzz: random mutations of a valid spec, as objects and as YAML', () => {
  fc.assert(
    fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (mutations) => {
      const value = mutations.reduce<unknown>(mutate, validGroup);
      mustBeValidOrInvalidSpec(() => parseGroupObject(value, 'groups[0]'));
      let text: string;
      try {
        text = stringify({ groups: [value] });
      } catch {
        return; // NaN and friends still stringify; anything yaml itself refuses is not our input
      }
      mustBeValidOrInvalidSpec(() => parseSpecDocument(text));
    }),
    RUNS,
  );
});

test('fuzz: random strings as YAML', () => {
  const yamlish = fc.stringMatching(/^[a-z:{}[\]\-,"'!&*#|> \n0-9.]{0,80}$/);
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), yamlish), (text) => {
      mustBeValidOrInvalidSpec(() => parseSpecDocument(text));
    }),
    RUNS,
  );
});

test('absurd nesting and alias bombs are invalid specs, not crashes', () => {
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  mustBeValidOrInvalidSpec(() => parseSpecDocument(deep));
  const deepProps = `id: a\nallocation: {size: 1}\ninstance: {plugin: p, properties: ${'['.repeat(200)}${']'.repeat(200)}}\nflavor: {plugin: f}\n`;
  assert.throws(
    () => parseSpecDocument(deepProps),
    (e: unknown) => TendError.is(e, 'invalid_spec'),
  );
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 0; i < 8; i++)
    bomb.push(
      `${'b'.repeat(i + 1)}: &b${i} [*${i === 0 ? 'a' : `b${i - 1}`}, *${i === 0 ? 'a' : `b${i - 1}`}, *${i === 0 ? 'a' : `b${i - 1}`}]`,
    );
  assert.throws(
    () => parseSpecDocument(bomb.join('\n')),
    (e: unknown) => TendError.is(e, 'invalid_spec'),
  );
});
