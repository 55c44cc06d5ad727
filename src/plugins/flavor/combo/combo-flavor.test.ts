import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFlavorPluginContract } from '../../../../test/support/contract/plugin-contract.js';
import {
  type FlavorPlugin,
  type Health,
  type InstanceSpec,
  instanceId,
  type JsonValue,
  TendError,
} from '../../../spi/index.js';
import { createVanillaFlavor } from '../vanilla/index.js';
import { createComboFlavor } from './index.js';

function resolver(extra: Record<string, FlavorPlugin> = {}) {
  const flavors: Record<string, FlavorPlugin> = { vanilla: createVanillaFlavor(), ...extra };
  return async (name: string) => {
    const found = flavors[name];
    if (found === undefined) throw new TendError('not_found', `no flavor plugin ${name}`);
    return found;
  };
}

function fixedHealth(health: Health, log: string[] = [], name: string = health): FlavorPlugin {
  return {
    validate: async () => {},
    prepare: async (_p, spec) => spec,
    healthy: async () => health,
    drain: async () => {
      log.push(name);
    },
  };
}

const properties = {
  flavors: [
    { plugin: 'vanilla', properties: { init: ['echo first'], tags: { a: '1' } } },
    { plugin: 'vanilla', properties: { init: ['echo second'], tags: { b: '2' } } },
  ],
};

runFlavorPluginContract('combo', async () => ({ plugin: createComboFlavor({ resolve: resolver() }) }), {
  properties,
});

const index = { group: 'g', sequence: 0 };
const instance = { id: instanceId('i-1'), tags: {} };

describe('combo flavor', () => {
  it('chains flavors in order, each getting the previous spec', async () => {
    const spec: InstanceSpec = { tags: { 'tend.group': 'g' }, init: '', attachments: [] };
    const prepared = await createComboFlavor({ resolve: resolver() }).prepare(
      properties,
      spec,
      { size: 1 },
      index,
    );
    assert.equal(prepared.init, 'echo first\necho second');
    assert.deepEqual(prepared.tags, { 'tend.group': 'g', a: '1', b: '2' });
  });

  it('is as healthy as its least healthy flavor', async () => {
    const combo = createComboFlavor({
      resolve: resolver({
        ok: fixedHealth('healthy'),
        bad: fixedHealth('unhealthy'),
        dunno: fixedHealth('unknown'),
      }),
    });
    const health = (...names: string[]) =>
      combo.healthy({ flavors: names.map((plugin) => ({ plugin })) }, instance);
    assert.equal(await health('ok', 'ok'), 'healthy');
    assert.equal(await health('ok', 'dunno'), 'unknown');
    assert.equal(await health('dunno', 'bad', 'ok'), 'unhealthy');
  });

  it('drains every flavor in order', async () => {
    const log: string[] = [];
    const combo = createComboFlavor({
      resolve: resolver({ x: fixedHealth('healthy', log, 'x'), y: fixedHealth('healthy', log, 'y') }),
    });
    await combo.drain({ flavors: [{ plugin: 'y' }, { plugin: 'x' }] }, instance);
    assert.deepEqual(log, ['y', 'x']);
  });

  it('names the sub-flavor that failed and keeps the error kind', async () => {
    const combo = createComboFlavor({ resolve: resolver() });
    const failure = (value: JsonValue) =>
      combo.validate(value, { size: 1 }).then(
        () => 'accepted',
        (e: unknown) => (e instanceof TendError ? `${e.kind}: ${e.message}` : `untyped: ${String(e)}`),
      );
    assert.equal(
      await failure({ flavors: [{ plugin: 'vanilla' }, { plugin: 'vanilla', properties: { init: 'x' } }] }),
      'invalid_spec: combo flavor: flavors[1] (vanilla): vanilla flavor: properties.init: expected array, received string',
    );
    assert.equal(
      await failure({ flavors: [{ plugin: 'nope' }] }),
      'not_found: combo flavor: flavors[0] (nope): no flavor plugin nope',
    );
    assert.equal(
      await failure({ flavors: [{ plugin: 'vanilla', extra: 1 }] }),
      'invalid_spec: combo flavor: properties.flavors[0].extra: unknown key',
    );
    assert.equal(
      await failure({ flavors: [] }),
      'invalid_spec: combo flavor: properties.flavors: expected at least one flavor',
    );
  });
});
