import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFlavorPluginContract } from '../../../../test/support/contract/plugin-contract.js';
import { type InstanceSpec, instanceId, type JsonValue, logicalId, TendError } from '../../../spi/index.js';
import { createVanillaFlavor } from './index.js';

const properties = {
  init: ['echo one', 'echo two'],
  tags: { role: 'worker' },
  attachments: [{ id: 'vol-1', type: 'volume' }],
};

runFlavorPluginContract('vanilla', async () => ({ plugin: createVanillaFlavor() }), { properties });

const index = { group: 'g', sequence: 0 };

describe('vanilla flavor', () => {
  it('appends init lines, adds tags and attachments, keeps the rest', async () => {
    const spec: InstanceSpec = {
      tags: { 'tend.group': 'g', role: 'caller' },
      init: '#!/bin/sh',
      logicalId: logicalId('a'),
      attachments: [{ id: 'vol-1', type: 'volume' }],
      properties: { image: 'x' },
    };
    const prepared = await createVanillaFlavor().prepare(properties, spec, { size: 1 }, index);
    assert.deepEqual(prepared, {
      tags: { 'tend.group': 'g', role: 'caller' },
      init: '#!/bin/sh\necho one\necho two',
      logicalId: 'a',
      attachments: [{ id: 'vol-1', type: 'volume' }],
      properties: { image: 'x' },
    });
  });

  it('leaves an init alone when there are no lines', async () => {
    const spec: InstanceSpec = { tags: {}, init: 'run', attachments: [] };
    assert.equal((await createVanillaFlavor().prepare(null, spec, { size: 1 }, index)).init, 'run');
  });

  it('is healthy and drains without doing anything', async () => {
    const flavor = createVanillaFlavor();
    const instance = { id: instanceId('i-1'), tags: {} };
    assert.equal(await flavor.healthy(undefined, instance), 'healthy');
    await flavor.drain(undefined, instance);
  });

  it('rejects bad properties with the path of the problem', async () => {
    const message = (value: JsonValue) =>
      createVanillaFlavor()
        .validate(value, { size: 1 })
        .then(
          () => 'accepted',
          (e: unknown) => (TendError.is(e, 'invalid_spec') ? e.message : `wrong error: ${String(e)}`),
        );
    assert.equal(await message({ inits: [] }), 'vanilla flavor: properties.inits: unknown key');
    assert.equal(
      await message({ init: ['ok', 3] }),
      'vanilla flavor: properties.init[1]: expected string, received number',
    );
    assert.equal(
      await message({ attachments: [{ id: 'v', type: 'volume', size: 1 }] }),
      'vanilla flavor: properties.attachments[0].size: unknown key',
    );
    assert.match(await message({ tags: { 'tend.group': 'x' } }), /properties\.tags\.tend\.group: .*reserved/);
  });
});
