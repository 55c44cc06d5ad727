import assert from 'node:assert/strict';
import {
  type InstanceDescription,
  type InstanceId,
  type InstancePlugin,
  instanceId,
  type Tags,
} from '../spi/index.js';
import { type ContractCheck, ContractNote, errorKind, kindUnknown, unknownKindNote } from './check.js';
import { type InstanceContractOptions, randomToken, withScope } from './instance-scope.js';

function findOne(found: readonly InstanceDescription[], id: InstanceId, what: string): InstanceDescription {
  const matches = found.filter((d) => d.id === id);
  assert.equal(matches.length, 1, `${what}: expected instance ${id} exactly once, found ${matches.length}`);
  const [match] = matches;
  assert.ok(match !== undefined);
  return match;
}

function assertTags(actual: Tags, expected: Tags, what: string): void {
  for (const [key, value] of Object.entries(expected)) {
    assert.equal(actual[key], value, `${what}: tag ${key} should be ${JSON.stringify(value)}`);
  }
}

/**
 * Destroying an instance that is not there must either succeed (what the SPI asks of Tend's own
 * plugins) or fail with kind `not_found` (what InfraKit-era plugins often do). The controller
 * treats both as "gone"; anything else would make it retry forever, so the contract rejects it.
 */
async function destroyMissing(plugin: InstancePlugin, id: InstanceId, signal: AbortSignal): Promise<void> {
  try {
    await plugin.destroy(id, { reason: 'terminate' }, { signal });
  } catch (error) {
    const kind = errorKind(error);
    if (kind !== 'not_found' && kindUnknown(error)) throw unknownKindNote(error, 'success or not_found');
    if (kind !== 'not_found') {
      throw new Error(
        `destroy of missing instance ${id} must succeed or fail with kind not_found, got ${kind ?? 'an untyped error'}: ${String(error)}`,
      );
    }
  }
}

export function instanceChecks(options: InstanceContractOptions): ContractCheck<InstancePlugin>[] {
  return [
    {
      name: 'validate accepts the properties',
      run: async (plugin, signal) => {
        await plugin.validate(options.properties, { signal });
        return undefined;
      },
    },
    {
      name: 'validate rejects invalid properties with invalid_spec',
      run: async (plugin, signal) => {
        if (options.invalidProperties === undefined) return { skip: 'no invalidProperties given' };
        const error = await plugin.validate(options.invalidProperties, { signal }).then(
          () => undefined,
          (e: unknown) => e ?? new Error('rejected with nothing'),
        );
        assert.ok(error !== undefined, 'validate accepted the invalid properties');
        if (errorKind(error) !== 'invalid_spec' && kindUnknown(error))
          throw unknownKindNote(error, 'invalid_spec');
        assert.equal(errorKind(error), 'invalid_spec', `expected kind invalid_spec, got: ${String(error)}`);
        return undefined;
      },
    },
    {
      name: 'provision returns an ID that describe finds with tags and logical ID',
      run: (plugin, signal) =>
        withScope(plugin, signal, options, async (scope) => {
          const spec = scope.spec({ tags: { 'contract.role': 'first' }, logicalId: 'member-1' });
          const id = await scope.provision(spec);
          const found = findOne(await scope.describe({ 'contract.role': 'first' }), id, 'describe');
          assertTags(found.tags, spec.tags, 'describe');
          assert.equal(found.logicalId, 'member-1', 'describe: logical ID not kept');
        }).then(() => undefined),
    },
    {
      name: 'describe returns only instances carrying all given tags',
      run: (plugin, signal) =>
        withScope(plugin, signal, options, async (scope) => {
          const both = await scope.provision(scope.spec({ tags: { 'contract.a': 'x', 'contract.b': 'y' } }));
          const onlyA = await scope.provision(scope.spec({ tags: { 'contract.a': 'x' } }));
          const byBoth = await scope.describe({ 'contract.a': 'x', 'contract.b': 'y' });
          assert.deepEqual(
            byBoth.map((d) => d.id),
            [both],
            'describe by two tags returned an instance missing one',
          );
          const byA = await scope.describe({ 'contract.a': 'x' });
          assert.deepEqual(byA.map((d) => d.id).sort(), [both, onlyA].sort(), 'describe by one tag');
          assert.deepEqual(await scope.describe({ 'contract.a': 'other' }), [], 'describe by a wrong value');
        }).then(() => undefined),
    },
    {
      name: 'label merges and overwrites tags',
      run: (plugin, signal) =>
        withScope(plugin, signal, options, async (scope) => {
          const spec = scope.spec({ tags: { 'contract.keep': 'k', 'contract.change': 'old' } });
          const id = await scope.provision(spec);
          await plugin.label(id, { 'contract.change': 'new', 'contract.added': 'yes' }, { signal });
          const found = findOne(await scope.describe(), id, 'describe after label');
          assertTags(
            found.tags,
            { ...spec.tags, 'contract.change': 'new', 'contract.added': 'yes' },
            'describe after label',
          );
        }).then(() => undefined),
    },
    {
      name: 'destroy removes the instance from describe',
      run: (plugin, signal) =>
        withScope(plugin, signal, options, async (scope) => {
          const id = await scope.provision(scope.spec());
          findOne(await scope.describe(), id, 'describe before destroy');
          await scope.destroy(id);
          const after = await scope.describe();
          assert.equal(
            after.filter((d) => d.id === id).length,
            0,
            `describe still shows ${id} after destroy`,
          );
        }).then(() => undefined),
    },
    {
      name: 'destroy of an unknown or destroyed instance succeeds or fails not_found',
      run: (plugin, signal) =>
        withScope(plugin, signal, options, async (scope) => {
          await destroyMissing(plugin, instanceId(`contract-missing-${randomToken()}`), signal);
          const id = await scope.provision(scope.spec());
          await scope.destroy(id);
          await destroyMissing(plugin, id, signal);
        }).then(() => undefined),
    },
    {
      name: 'provision twice with the same tend.op gives one instance',
      run: (plugin, signal) =>
        withScope(plugin, signal, options, async (scope) => {
          const spec = scope.spec();
          const first = await scope.provision(spec);
          const second = await scope.provision(spec);
          if (second !== first && options.opKey === 'noted')
            throw new ContractNote(
              `tend.op not honoured: the retried provision made ${second} beside ${first}. Tend's controller looks for the key before provisioning it again, so a group gets no duplicate, except from a provision that lands only after that look (docs/protocol.md, Idempotency)`,
            );
          assert.equal(second, first, 'the retried provision returned a different ID');
          assert.deepEqual(
            (await scope.describe()).map((d) => d.id),
            [first],
            'describe after a retried provision',
          );
        }).then(() => undefined),
    },
    {
      name: 'describe with properties',
      run: (plugin, signal) =>
        withScope(plugin, signal, options, async (scope) => {
          const id = await scope.provision(scope.spec());
          const found = findOne(await scope.describe({}, true), id, 'describe with properties');
          // Properties cross the wire as JSON, so they must survive a round trip.
          assert.deepEqual(
            JSON.parse(JSON.stringify(found.properties ?? null)),
            found.properties ?? null,
            'describe properties are not plain JSON',
          );
        }).then(() => undefined),
    },
    {
      name: 'concurrent provisions give distinct instances',
      run: (plugin, signal) =>
        withScope(plugin, signal, options, async (scope) => {
          const specs = Array.from({ length: 5 }, () => scope.spec());
          const ids = await Promise.all(specs.map((spec) => scope.provision(spec)));
          assert.equal(new Set(ids).size, 5, `5 provisions gave ${new Set(ids).size} distinct IDs`);
          const found = (await scope.describe()).map((d) => d.id);
          assert.deepEqual([...found].sort(), [...ids].sort(), 'describe after 5 concurrent provisions');
        }).then(() => undefined),
    },
  ];
}
