// Guards the guard: a correct in-memory plugin passes every check, and each typical defect is
// caught by the check meant for it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  runFlavorPluginContract,
  runInstancePluginContract,
} from '../../test/support/contract/plugin-contract.js';
import {
  type FlavorPlugin,
  type InstanceDescription,
  type InstanceId,
  type InstancePlugin,
  type InstanceSpec,
  instanceId,
  TAG_OP,
  type Tags,
  TendError,
} from '../spi/index.js';
import { type ContractCheckResult, verifyFlavorPlugin, verifyInstancePlugin } from './index.js';

interface FakeFlaws {
  ignoreTags?: boolean;
  noIdempotency?: boolean;
  destroyUnknownFails?: boolean;
}

function fakeInstancePlugin(flaws: FakeFlaws = {}): InstancePlugin {
  const instances = new Map<InstanceId, InstanceDescription>();
  let next = 0;
  const matches = (have: Tags, want: Tags) => Object.entries(want).every(([k, v]) => have[k] === v);
  return {
    validate: async (properties) => {
      if (properties !== undefined && properties !== null && typeof properties !== 'object') {
        throw new TendError('invalid_spec', 'fake: properties must be an object');
      }
    },
    provision: async (spec: InstanceSpec) => {
      const op = spec.tags[TAG_OP];
      if (!flaws.noIdempotency && op !== undefined) {
        for (const found of instances.values()) if (found.tags[TAG_OP] === op) return found.id;
      }
      await new Promise((resolve) => setImmediate(resolve));
      const id = instanceId(`fake-${next++}`);
      const description: InstanceDescription = { id, tags: { ...spec.tags } };
      if (spec.logicalId !== undefined) description.logicalId = spec.logicalId;
      instances.set(id, description);
      return id;
    },
    label: async (id, labels) => {
      const found = instances.get(id);
      if (found === undefined) throw new TendError('not_found', `fake: no instance ${id}`);
      found.tags = { ...found.tags, ...labels };
    },
    destroy: async (id) => {
      if (!instances.delete(id) && flaws.destroyUnknownFails) throw new Error('fake: boom');
    },
    describeInstances: async (tags, options) =>
      [...instances.values()]
        .filter((d) => flaws.ignoreTags || matches(d.tags, tags))
        .map((d) => (options?.properties ? { ...d, properties: { fake: true } } : d)),
  };
}

const fakeFlavor: FlavorPlugin = {
  validate: async () => {},
  prepare: async (_properties, spec) => ({ ...spec, init: `${spec.init}\necho hi`.trim() }),
  healthy: async () => 'healthy',
  drain: async () => {},
};

function failed(results: ContractCheckResult[]): string[] {
  return results.filter((r) => !r.ok).map((r) => r.name);
}

describe('contract suites themselves', () => {
  it('a correct instance plugin passes every check', async () => {
    const results = await verifyInstancePlugin(fakeInstancePlugin(), { invalidProperties: 'nope' });
    assert.deepEqual(failed(results), []);
    assert.equal(results.length, 10);
    assert.ok(results.every((r) => r.skipped !== true));
  });

  it('the invalid-properties check is skipped without invalidProperties', async () => {
    const results = await verifyInstancePlugin(fakeInstancePlugin());
    const skipped = results.filter((r) => r.skipped === true).map((r) => r.name);
    assert.deepEqual(skipped, ['validate rejects invalid properties with invalid_spec']);
  });

  it('catches a describe that ignores tags', async () => {
    const results = await verifyInstancePlugin(fakeInstancePlugin({ ignoreTags: true }));
    assert.ok(failed(results).includes('describe returns only instances carrying all given tags'));
  });

  it('catches a provision that ignores tend.op', async () => {
    const results = await verifyInstancePlugin(fakeInstancePlugin({ noIdempotency: true }));
    assert.deepEqual(failed(results), ['provision twice with the same tend.op gives one instance']);
  });

  it('catches a destroy of an unknown instance that fails with the wrong kind', async () => {
    const results = await verifyInstancePlugin(fakeInstancePlugin({ destroyUnknownFails: true }));
    const name = 'destroy of an unknown or destroyed instance succeeds or fails not_found';
    assert.deepEqual(failed(results), [name]);
    assert.match(results.find((r) => r.name === name)?.error ?? '', /not_found/);
  });

  it('a correct flavor passes every check', async () => {
    assert.deepEqual(failed(await verifyFlavorPlugin(fakeFlavor)), []);
  });

  it('catches a flavor that drops the caller tags and is not deterministic', async () => {
    let n = 0;
    const bad: FlavorPlugin = {
      ...fakeFlavor,
      prepare: async (_p, spec) => ({ ...spec, tags: { mine: 'x' }, init: `echo ${n++}` }),
      healthy: async () => 'fine' as 'healthy',
    };
    assert.deepEqual(failed(await verifyFlavorPlugin(bad)), [
      'prepare keeps the caller tags and logical ID and gives a string init',
      'healthy answers unknown, healthy or unhealthy',
      'prepare is deterministic',
    ]);
  });
});

runInstancePluginContract('in-memory fake', async () => ({ plugin: fakeInstancePlugin() }), {
  invalidProperties: 42,
});
runFlavorPluginContract('in-memory fake', async () => ({ plugin: fakeFlavor }));
