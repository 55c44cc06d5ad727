import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type InstanceSpec, instanceId, TAG_GROUP, TAG_OP } from '../../../spi/index.js';
import { Fleet, RETIRED_ID_MEMORY } from './fleet.js';

function spec(group: string, op: string): InstanceSpec {
  return { tags: { [TAG_GROUP]: group, [TAG_OP]: op }, init: '', attachments: [] };
}

/** The answer a full scan gives: the reference the indexes must agree with. */
function scan(fleet: Fleet, tags: Record<string, string>): string[] {
  return fleet
    .all()
    .filter((i) => Object.entries(tags).every(([k, v]) => i.tags[k] === v))
    .map((i) => i.id);
}

function live(fleet: Fleet, id: string) {
  const instance = fleet.get(instanceId(id));
  assert.ok(instance, `${id} is live`);
  return instance;
}

test('tag and op indexes agree with a full scan through create, relabel and remove', () => {
  const fleet = new Fleet();
  for (let n = 0; n < 30; n++) fleet.create(instanceId(`i-${n}`), spec(`g${n % 3}`, `op-${n}`), n);
  fleet.relabel(live(fleet, 'i-4'), { [TAG_GROUP]: 'g0', extra: 'x' });
  fleet.relabel(live(fleet, 'i-0'), { extra: 'x' });
  fleet.remove(instanceId('i-3'));
  for (const tags of [
    { [TAG_GROUP]: 'g0' },
    { [TAG_GROUP]: 'g1' },
    { extra: 'x' },
    { [TAG_GROUP]: 'g0', extra: 'x' },
  ]) {
    assert.deepEqual(
      fleet.matching(tags).map((i) => i.id),
      scan(fleet, tags),
      JSON.stringify(tags),
    );
  }
  assert.deepEqual(fleet.matching({ [TAG_GROUP]: 'nope' }), []);
  assert.equal(fleet.findByOp('op-7')?.id, 'i-7');
  assert.equal(fleet.findByOp('op-3'), undefined, 'a removed instance no longer answers its op');
  assert.equal(fleet.matching({}).length, 29);
});

test('retired IDs are remembered, but only the most recent RETIRED_ID_MEMORY of them', () => {
  const fleet = new Fleet();
  const total = RETIRED_ID_MEMORY + 10;
  for (let n = 0; n < total; n++) {
    const id = instanceId(`i-${n}`);
    fleet.create(id, spec('g', `op-${n}`), n);
    fleet.remove(id);
  }
  assert.equal(fleet.size, 0);
  assert.equal(fleet.wasIssued(instanceId(`i-${total - 1}`)), true);
  assert.equal(fleet.wasIssued(instanceId('i-0')), false, 'the oldest retired IDs are forgotten');
});

test('a relabel that changes the op key moves the op index; the old key no longer answers', () => {
  const fleet = new Fleet();
  fleet.create(instanceId('i-1'), spec('g', 'op-old'), 0);
  fleet.relabel(live(fleet, 'i-1'), { [TAG_OP]: 'op-new', [TAG_GROUP]: 'h' });
  assert.equal(fleet.findByOp('op-old'), undefined);
  assert.equal(fleet.findByOp('op-new')?.id, 'i-1');
  assert.deepEqual(fleet.matching({ [TAG_GROUP]: 'g' }), []);
  assert.deepEqual(
    fleet.matching({ [TAG_GROUP]: 'h' }).map((i) => i.id),
    ['i-1'],
  );
  fleet.remove(instanceId('i-1'));
  assert.equal(fleet.findByOp('op-new'), undefined);
  assert.deepEqual(fleet.matching({ [TAG_GROUP]: 'h' }), []);
});
