import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type InstanceSpec, instanceId, type JsonValue, logicalId } from '../spi/index.js';
import {
  allocationFromWire,
  allocationToWire,
  descriptionFromWire,
  descriptionToWire,
  healthFromWire,
  healthToWire,
  instanceSpecFromWire,
  instanceSpecToWire,
} from './codec.js';
import { wireAllocation, wireInstanceDescription, wireInstanceSpec } from './wire.js';

describe('wire codec', () => {
  test('an instance spec uses InfraKit names and round-trips', () => {
    const spec: InstanceSpec = {
      properties: { image: 'app:1' },
      tags: { 'tend.op': 'k1' },
      init: 'echo hi',
      logicalId: logicalId('a'),
      attachments: [{ id: 'vol-1', type: 'ebs' }],
    };
    const wire = instanceSpecToWire(spec);
    assert.deepEqual(wire, {
      Properties: { image: 'app:1' },
      Tags: { 'tend.op': 'k1' },
      Init: 'echo hi',
      LogicalID: 'a',
      Attachments: [{ ID: 'vol-1', Type: 'ebs' }],
    });
    assert.deepEqual(instanceSpecFromWire(wireInstanceSpec.parse(wire)), spec);
  });

  test('is lenient like Go: missing Tags, null Properties, null Attachments', () => {
    assert.deepEqual(instanceSpecFromWire(wireInstanceSpec.parse({ Properties: null, Attachments: null })), {
      tags: {},
      init: '',
      attachments: [],
    });
    assert.deepEqual(
      descriptionFromWire(wireInstanceDescription.parse({ ID: 'i-1', Tags: null, LogicalID: null })),
      {
        id: instanceId('i-1'),
        tags: {},
      },
    );
  });

  test("carries Tend's description extensions and ignores ill-shaped ones", () => {
    const description = {
      id: instanceId('i-2'),
      tags: { a: 'b' },
      createdAt: 1_700_000_000_000,
      platformHealth: 'unhealthy' as const,
      platformStatus: 'stopped',
    };
    const wire = descriptionToWire(description);
    assert.deepEqual(
      { CreatedAt: wire.CreatedAt, PlatformHealth: wire.PlatformHealth, PlatformStatus: wire.PlatformStatus },
      { CreatedAt: 1_700_000_000_000, PlatformHealth: 'unhealthy', PlatformStatus: 'stopped' },
    );
    assert.deepEqual(descriptionFromWire(wireInstanceDescription.parse(wire)), description);
    const odd = { ID: 'i-3', CreatedAt: 'yesterday', PlatformHealth: 'meh', PlatformStatus: 7 };
    assert.deepEqual(descriptionFromWire(wireInstanceDescription.parse(odd)), {
      id: instanceId('i-3'),
      tags: {},
    });
  });

  test('health is 0 unknown, 1 healthy, 2 unhealthy', () => {
    assert.deepEqual(
      ['unknown', 'healthy', 'unhealthy'].map((h) => healthToWire(h as 'unknown')),
      [0, 1, 2],
    );
    assert.deepEqual([0, 1, 2, undefined].map(healthFromWire), [
      'unknown',
      'healthy',
      'unhealthy',
      'unknown',
    ]);
  });

  test('allocation: Size for cattle, non-empty LogicalIDs for pets (Go sends both)', () => {
    assert.deepEqual(allocationToWire({ size: 3 }), { Size: 3 });
    assert.deepEqual(allocationFromWire(wireAllocation.parse({ Size: 0, LogicalIDs: ['a', 'b'] })), {
      logicalIds: ['a', 'b'],
    });
    assert.deepEqual(allocationFromWire(wireAllocation.parse({ Size: 4, LogicalIDs: null })), { size: 4 });
    assert.deepEqual(allocationFromWire(undefined), { size: 0 });
  });

  test('descriptions round-trip for any tags and JSON properties', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
        fc.dictionary(fc.string(), fc.string()),
        fc.option(
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as JsonValue),
          { nil: undefined },
        ),
        (id, logical, tags, properties) => {
          const description = {
            id: instanceId(id),
            tags,
            ...(logical === undefined ? {} : { logicalId: logicalId(logical) }),
            ...(properties === undefined || properties === null ? {} : { properties }),
          };
          const wire = JSON.parse(JSON.stringify(descriptionToWire(description))) as unknown;
          assert.deepEqual(
            descriptionFromWire(wireInstanceDescription.parse(wire)),
            JSON.parse(JSON.stringify(description)),
          );
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });
});
