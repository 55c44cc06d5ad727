import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TendError } from '../../spi/index.js';
import { fromInfraKitGroup, toInfraKitGroup } from './infrakit.js';
import { parseSpecDocument } from './parse-document.js';

const infrakit = {
  ID: 'workers',
  Properties: {
    Allocation: { Size: 5 },
    Instance: { Plugin: 'instance-aws/ec2', Properties: { InstanceType: 't2.micro' } },
    Flavor: { Plugin: 'flavor-vanilla', Properties: { Init: ['echo hi'] } },
  },
};

test('reads an InfraKit group with Tend defaults', () => {
  const spec = fromInfraKitGroup(infrakit);
  assert.equal(spec.id, 'workers');
  assert.deepEqual(spec.allocation, { size: 5 });
  assert.deepEqual(spec.instance, { plugin: 'instance-aws/ec2', properties: { InstanceType: 't2.micro' } });
  assert.equal(spec.update.maxSurge, 1);
  assert.equal(spec.health.graceMs, 30_000);
});

test('round trip: InspectGroups output commits back to the same spec', () => {
  const [spec] = parseSpecDocument(`
id: quorum
allocation: { logicalIds: [a, b, c] }
instance: { plugin: process }
flavor: { plugin: flavor-zk/member, properties: { port: 2181 } }
health: { grace: 2s, unhealthyAfter: 5s, maxInFlight: 1 }
update: { maxSurge: 0, maxUnavailable: 1, healthyFor: 3s, timeout: 90s, onFailure: pause }
scaleIn: { order: newest }
`);
  assert.ok(spec);
  const wire = JSON.parse(JSON.stringify(toInfraKitGroup(spec)));
  assert.deepEqual(wire.Properties.Allocation, { LogicalIDs: ['a', 'b', 'c'] });
  assert.deepEqual(wire.Properties.Instance, { Plugin: 'process' });
  assert.deepEqual(fromInfraKitGroup(wire), spec);
  assert.deepEqual(toInfraKitGroup(fromInfraKitGroup(infrakit)).Properties.Allocation, { Size: 5 });
});

test("Go's zero Size next to LogicalIDs means logical IDs", () => {
  const value = {
    ...infrakit,
    Properties: { ...infrakit.Properties, Allocation: { Size: 0, LogicalIDs: ['x'] } },
  };
  assert.deepEqual(fromInfraKitGroup(value).allocation, { logicalIds: ['x'] });
});

test('problems use InfraKit paths', () => {
  const value = {
    ID: 'w',
    Properties: {
      Allocation: { Size: -1 },
      Instance: { Plugin: 'unknown-one' },
      Flavor: { Plugin: 'flavor-vanilla', Propertes: {} },
      Tend: { update: { maxSurge: 0 } },
    },
  };
  try {
    fromInfraKitGroup(value, {
      isKnownPlugin: (_kind, name) => name !== 'unknown-one',
      source: 'CommitGroup',
    });
    assert.fail('expected an error');
  } catch (error) {
    assert.ok(TendError.is(error, 'invalid_spec'));
    assert.equal(
      error.message,
      [
        'invalid spec in CommitGroup:',
        'Properties.Allocation.Size: expected a whole number ≥ 0, got -1',
        'Properties.Instance.Plugin: unknown instance plugin "unknown-one"',
        'Properties.Flavor.Propertes: unknown key (did you mean "Properties"?)',
        'Properties.Tend.update: maxSurge and maxUnavailable are both 0: a rollout could never replace an instance',
      ].join('\n'),
    );
  }
});

test('both Size and LogicalIDs, and a missing Properties', () => {
  const both = {
    ...infrakit,
    Properties: { ...infrakit.Properties, Allocation: { Size: 2, LogicalIDs: ['a'] } },
  };
  assert.throws(() => fromInfraKitGroup(both), {
    message: 'Properties.Allocation: expected either Size or LogicalIDs, not both',
  });
  assert.throws(() => fromInfraKitGroup({ ID: 'w' }), {
    message: 'Properties: required: expected a map with Allocation, Instance and Flavor',
  });
});
