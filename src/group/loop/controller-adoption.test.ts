import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSimulatorPlugin } from '../../plugins/instance/simulator/index.js';
import {
  type GroupSpec,
  INFRAKIT_TAG_CONFIG,
  INFRAKIT_TAG_GROUP,
  instanceId,
  logicalId,
  TAG_CONFIG,
  TAG_GROUP,
  TAG_LOGICAL,
} from '../../spi/index.js';
import { configHash, infraKitConfigSha } from '../spec/index.js';
import { kit } from '../testing/controller-test-kit.js';
import type { FakeCloud } from '../testing/fake-plugins.js';
import { testSpec } from '../testing/plan-fixtures.js';

/** Puts instances into the cloud as InfraKit v0.5's group plugin would have made them. */
function infraKitMade(cloud: FakeCloud, spec: GroupSpec, ids: readonly string[], logical = false): void {
  for (const id of ids) {
    const tags = {
      [INFRAKIT_TAG_GROUP]: spec.id,
      [INFRAKIT_TAG_CONFIG]: infraKitConfigSha(spec),
      role: 'ik',
    };
    cloud.instances.set(instanceId(id), {
      id: instanceId(id),
      tags,
      ...(logical ? { logicalId: logicalId(id) } : {}),
    });
  }
}

const changes = (cloud: FakeCloud) =>
  cloud.calls.filter((c) => c.startsWith('provision') || c.startsWith('destroy'));

test('InfraKit-made members of an equivalent config are adopted: no create, no destroy, Tend tags', async () => {
  const spec = testSpec({ size: 3 });
  const { controller, cloud } = kit(spec);
  infraKitMade(cloud, spec, ['ik-1', 'ik-2', 'ik-3']);
  await controller.tick();
  assert.deepEqual(changes(cloud), []);
  const status = controller.status();
  assert.equal(status.instances.length, 3, 'counted as members');
  assert.ok(status.instances.every((i) => i.config === configHash(spec)));
  for (const i of cloud.instances.values()) {
    assert.equal(i.tags[TAG_GROUP], 'g', 'labelled with the group');
    assert.equal(i.tags[TAG_CONFIG], configHash(spec), 'labelled with the config');
    assert.equal(i.tags[INFRAKIT_TAG_GROUP], 'g', "InfraKit's tags stay");
  }
  cloud.calls.length = 0;
  for (let i = 0; i < 3; i++) {
    await controller.tick();
  }
  assert.deepEqual(cloud.calls, ['describe', 'describe', 'describe'], 'normal ticks: one look each');
});

test('a group partly made by InfraKit gets only what is missing', async () => {
  const spec = testSpec({ size: 3 });
  const { controller, cloud } = kit(spec);
  infraKitMade(cloud, spec, ['ik-1', 'ik-2']);
  await controller.tick();
  assert.equal(changes(cloud).length, 1);
  assert.match(changes(cloud)[0] ?? '', /^provision /);
  assert.equal(cloud.instances.size, 3);
});

test('InfraKit-made pets are adopted by logical ID', async () => {
  const spec = testSpec({ logicalIds: ['a', 'b', 'c'] });
  const { controller, cloud } = kit(spec);
  infraKitMade(cloud, spec, ['a', 'b', 'c'], true);
  await controller.tick();
  await controller.tick();
  assert.deepEqual(changes(cloud), []);
  for (const i of cloud.instances.values()) assert.equal(i.tags[TAG_LOGICAL], i.logicalId);
});

test('InfraKit-made members of another config are rolled as usual', async () => {
  const spec = testSpec({ size: 3, image: 'app:2' });
  const { controller, cloud, clock } = kit(spec);
  infraKitMade(cloud, testSpec({ size: 3, image: 'app:1' }), ['ik-1', 'ik-2', 'ik-3']);
  await controller.tick();
  const first = [...cloud.instances.values()];
  assert.ok(
    first.filter((i) => i.id.startsWith('ik-')).every((i) => i.tags[TAG_CONFIG] === undefined),
    'an old config is not labelled as the target',
  );
  assert.ok(first.every((i) => i.tags[TAG_GROUP] === 'g'));
  let most = 0;
  for (let i = 0; i < 30 && [...cloud.instances.keys()].some((id) => id.startsWith('ik-')); i++) {
    await clock.advance(1_000);
    await controller.tick();
    most = Math.max(most, cloud.instances.size);
  }
  assert.deepEqual(
    [...cloud.instances.keys()].filter((id) => id.startsWith('ik-')),
    [],
    'every old one rolled',
  );
  assert.equal(cloud.instances.size, 3);
  assert.ok(most <= 4, `never above size + maxSurge, saw ${most}`);
  assert.ok([...cloud.instances.values()].every((i) => i.tags[TAG_CONFIG] === configHash(spec)));
});

test('a failed label is tried again and the member is still counted meanwhile', async () => {
  const spec = testSpec({ size: 1 });
  const { controller, cloud } = kit(spec);
  infraKitMade(cloud, spec, ['ik-1']);
  const label = cloud.label.bind(cloud);
  let refuse = true;
  cloud.label = async (id, labels, options) => {
    if (refuse) throw new Error('label refused');
    return label(id, labels, options);
  };
  await controller.tick();
  assert.deepEqual(changes(cloud), []);
  assert.equal(cloud.instances.get(instanceId('ik-1'))?.tags[TAG_GROUP], undefined);
  refuse = false;
  await controller.tick();
  assert.equal(cloud.instances.get(instanceId('ik-1'))?.tags[TAG_GROUP], 'g');
  assert.deepEqual(changes(cloud), []);
});

test('on the simulator plugin: InfraKit-made members adopted, then an ordinary group', async () => {
  const spec = testSpec({ size: 3 });
  const { make, clock } = kit(spec);
  const simulator = createSimulatorPlugin({ clock, seed: 16 });
  const made: string[] = [];
  for (let i = 0; i < 3; i++) {
    const tags = { [INFRAKIT_TAG_GROUP]: 'g', [INFRAKIT_TAG_CONFIG]: infraKitConfigSha(spec) };
    made.push(await simulator.provision({ tags, init: '', attachments: [] }));
  }
  const controller = make({ instancePlugin: simulator });
  for (let i = 0; i < 3; i++) {
    await controller.tick();
    await clock.advance(1_000);
  }
  const now = await simulator.describeInstances({ [TAG_GROUP]: 'g' });
  assert.deepEqual(now.map((d) => d.id).sort(), [...made].sort(), 'the same three, found by Tend’s tag');
  assert.ok(now.every((d) => d.tags[TAG_CONFIG] === configHash(spec)));
  assert.equal(controller.status().observed, 3);
  await simulator.close?.();
});
