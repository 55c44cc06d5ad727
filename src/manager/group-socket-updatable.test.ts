import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TendError } from '../spi/index.js';
import { applyChanges } from './group-socket-updatable.js';

const doc = {
  Groups: { web: { Plugin: 'group', Properties: { ID: 'web', Properties: { Allocation: { Size: 2 } } } } },
};

test('a change is put at its path, the rest of the document kept, the original untouched', () => {
  const out = applyChanges(doc, [
    { path: ['Groups', 'web', 'Properties', 'Properties', 'Allocation', 'Size'], value: 5 },
    { path: ['Groups', 'web', 'Properties', 'Properties', 'Flavor'], value: { Plugin: 'vanilla' } },
  ]);
  assert.deepEqual(out.Groups, {
    web: {
      Plugin: 'group',
      Properties: { ID: 'web', Properties: { Allocation: { Size: 5 }, Flavor: { Plugin: 'vanilla' } } },
    },
  });
  assert.equal(doc.Groups.web.Properties.Properties.Allocation.Size, 2);
});

test('a path through a value that is not an object, or no path at all, is refused clearly', () => {
  assert.throws(
    () => applyChanges(doc, [{ path: ['Groups', 'web', 'Plugin', 'x'], value: 1 }]),
    (error: unknown) => TendError.is(error, 'invalid_spec') && /Plugin is not an object/.test(String(error)),
  );
  assert.throws(() => applyChanges(doc, [{ path: ['.'], value: 1 }]), /needs a path/);
});
