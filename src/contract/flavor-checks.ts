import assert from 'node:assert/strict';
import {
  type Allocation,
  type FlavorIndex,
  type FlavorPlugin,
  type InstanceDescription,
  type InstanceSpec,
  instanceId,
  type JsonValue,
  logicalId,
  TAG_CONFIG,
  TAG_GROUP,
  TAG_OP,
  TendError,
} from '../spi/index.js';
import { type ContractCheck, type ContractNote, kindUnknown, unknownKindNote } from './check.js';

export interface FlavorContractOptions {
  /** The flavor's own properties, as a group spec would give them. */
  properties?: JsonValue;
  /**
   * `logical-ids-only` for ensemble flavors (etcd, zookeeper): members need names, so the contract
   * then requires a size allocation to be refused with kind `invalid_spec` instead of accepted.
   */
  allocations?: 'any' | 'logical-ids-only';
}

const healthValues: readonly string[] = ['unknown', 'healthy', 'unhealthy'];

const byLogicalIds: Allocation = { logicalIds: [logicalId('a'), logicalId('b'), logicalId('c')] };
const bySize: Allocation = { size: 3 };
const index: FlavorIndex = { group: 'contract', sequence: 0 };

/** A fresh copy each call, so a flavor that mutates its input cannot hide it by sharing. */
function callerSpec(): InstanceSpec {
  return {
    tags: {
      [TAG_GROUP]: 'contract',
      [TAG_CONFIG]: 'contract-config',
      [TAG_OP]: 'contract-op',
      'contract.caller': 'kept',
    },
    init: '',
    logicalId: logicalId('a'),
    attachments: [],
  };
}

function instanceFrom(spec: InstanceSpec): InstanceDescription {
  const instance: InstanceDescription = { id: instanceId('contract-instance-1'), tags: spec.tags };
  if (spec.logicalId !== undefined) instance.logicalId = spec.logicalId;
  return instance;
}

export function flavorChecks(options: FlavorContractOptions): ContractCheck<FlavorPlugin>[] {
  const { properties } = options;
  return [
    options.allocations === 'logical-ids-only' ? refusesSizeCheck(properties) : acceptsSizeCheck(properties),
    {
      name: 'validate accepts the properties with logical IDs',
      run: async (plugin, signal) => {
        await plugin.validate(properties, byLogicalIds, { signal });
        return undefined;
      },
    },
    {
      name: 'prepare keeps the caller tags and logical ID and gives a string init',
      run: async (plugin, signal) => {
        const input = callerSpec();
        const prepared = await plugin.prepare(properties, input, byLogicalIds, index, { signal });
        for (const [key, value] of Object.entries(callerSpec().tags)) {
          assert.equal(prepared.tags[key], value, `prepare changed or dropped the caller's tag ${key}`);
        }
        assert.equal(prepared.logicalId, 'a', 'prepare did not keep the logical ID');
        assert.equal(typeof prepared.init, 'string', 'prepare gave a non-string init');
        assert.ok(Array.isArray(prepared.attachments), 'prepare gave no attachments array');
        assert.deepEqual(input, callerSpec(), 'prepare mutated the spec it was given');
        return undefined;
      },
    },
    {
      name: 'healthy answers unknown, healthy or unhealthy',
      run: async (plugin, signal) => {
        const prepared = await plugin.prepare(properties, callerSpec(), byLogicalIds, index, { signal });
        const health = await plugin.healthy(properties, instanceFrom(prepared), { signal });
        assert.ok(healthValues.includes(health), `healthy answered ${JSON.stringify(health)}`);
        return undefined;
      },
    },
    {
      name: 'drain resolves',
      run: async (plugin, signal) => {
        const prepared = await plugin.prepare(properties, callerSpec(), byLogicalIds, index, { signal });
        await plugin.drain(properties, instanceFrom(prepared), { signal });
        return undefined;
      },
    },
    {
      name: 'prepare is deterministic',
      run: async (plugin, signal) => {
        // The config hash and rollouts rely on the same input preparing the same instance.
        const first = await plugin.prepare(properties, callerSpec(), bySize, index, { signal });
        const second = await plugin.prepare(properties, callerSpec(), bySize, index, { signal });
        assert.deepEqual(second, first, 'two prepares of the same input differ');
        return undefined;
      },
    },
  ];
}

function acceptsSizeCheck(properties: JsonValue | undefined): ContractCheck<FlavorPlugin> {
  return {
    name: 'validate accepts the properties with a size allocation',
    run: async (plugin, signal) => {
      await plugin.validate(properties, bySize, { signal });
      return undefined;
    },
  };
}

function refusesSizeCheck(properties: JsonValue | undefined): ContractCheck<FlavorPlugin> {
  return {
    name: 'validate refuses a size allocation (logical IDs only) with invalid_spec',
    run: async (plugin, signal) => {
      let note: ContractNote | undefined;
      await assert.rejects(plugin.validate(properties, bySize, { signal }), (error: unknown) => {
        if (!TendError.is(error, 'invalid_spec') && kindUnknown(error))
          note = unknownKindNote(error, 'invalid_spec');
        else
          assert.ok(TendError.is(error, 'invalid_spec'), `expected kind invalid_spec, got ${String(error)}`);
        return true;
      });
      if (note !== undefined) throw note;
      return undefined;
    },
  };
}
