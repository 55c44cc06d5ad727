// Issue #16 item 4 against a plugin that answers like InfraKit v0.5's (test/support/
// infrakit-style-plugin.ts): a group controller driving it over its socket, with lost and late
// provision answers injected, makes 0 duplicates although the plugin ignores `tend.op`; the
// client maps what InfraKit's errors let it recognise; `tend plugin verify` passes with notes
// saying what it could not check, instead of failing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createGroupController, createPluginLimiter, memoryJournal } from '../../src/group/index.js';
import { fakeFlavor } from '../../src/group/testing/fake-plugins.js';
import { testSpec } from '../../src/group/testing/plan-fixtures.js';
import { createRandom, VirtualClock } from '../../src/lib/index.js';
import { JsonRpcClient, RemoteInstancePlugin } from '../../src/rpc/index.js';
import { type InstancePlugin, type InstanceSpec, TAG_OP, TendError } from '../../src/spi/index.js';
import { type InfraKitStylePlugin, startInfraKitStylePlugin } from '../support/infrakit-style-plugin.js';
import { runCli } from '../support/manager.js';

let dir: string;
let plugin: InfraKitStylePlugin;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tend-ik-plugin-'));
  plugin = await startInfraKitStylePlugin(dir, 'ikfile');
});

after(async () => {
  await plugin.close();
  rmSync(dir, { recursive: true, force: true });
});

const remote = () =>
  new RemoteInstancePlugin({
    client: new JsonRpcClient({ socketPath: plugin.socketPath, pluginName: 'ikfile' }),
  });

test('InfraKit-style errors: method not found and bad params are invalid_spec; a bare -32000 is internal, marked', async () => {
  const client = new JsonRpcClient({ socketPath: plugin.socketPath, pluginName: 'ikfile' });
  try {
    const kindOf = (call: Promise<unknown>) =>
      call.then(
        () => assert.fail('expected a failure'),
        (error: unknown) => {
          assert.ok(error instanceof TendError);
          return { kind: error.kind, kindSent: error.details.kindSent };
        },
      );
    assert.deepEqual(await kindOf(client.call('Instance.Reboot', {})), {
      kind: 'invalid_spec',
      kindSent: undefined,
    });
    assert.deepEqual(await kindOf(client.call('Instance.Provision', { Spec: 'nope' })), {
      kind: 'invalid_spec',
      kindSent: undefined,
    });
    assert.deepEqual(await kindOf(client.call('Instance.Destroy', { Instance: 'gone' })), {
      kind: 'internal',
      kindSent: false,
    });
  } finally {
    await client.close();
  }
});

/**
 * The plugin's answers as a flaky network gives them: a provision is carried out but its answer
 * lost, or it times out and is carried out only after the controller's next look.
 */
function lossy(inner: InstancePlugin, random: () => number): InstancePlugin {
  let later: InstanceSpec[] = [];
  return {
    validate: (p, o) => inner.validate(p, o),
    label: (id, l, o) => inner.label(id, l, o),
    destroy: (id, c, o) => inner.destroy(id, c, o),
    async describeInstances(tags, o) {
      const found = await inner.describeInstances(tags, o);
      const landing = later;
      later = [];
      for (const spec of landing) await inner.provision(spec);
      return found;
    },
    async provision(spec, o) {
      const draw = random();
      if (draw < 0.15) {
        later.push(spec);
        throw new TendError('timeout', 'provision timed out (injected)');
      }
      const id = await inner.provision(spec, o);
      if (draw < 0.35) throw new TendError('unavailable', 'answer lost (injected)');
      return id;
    },
  };
}

test('a controller on a plugin that ignores tend.op, with lost and late answers: 0 duplicates', async () => {
  for (const seed of [11, 12, 13]) {
    plugin.instances.clear();
    plugin.provisioned.length = 0;
    const clock = new VirtualClock({ start: 1_000_000 });
    const random = createRandom(seed);
    const inner = remote();
    const spec = testSpec({ id: `ik-${seed}`, size: 4, health: { graceMs: 0, maxInFlight: 2 } });
    const controller = createGroupController({
      spec,
      instancePlugin: lossy(inner, random),
      flavorPlugin: fakeFlavor(),
      journal: memoryJournal(),
      epoch: 1,
      clock,
      limiter: createPluginLimiter({ ratePerSec: 10_000, burst: 10_000, concurrency: 100, clock }),
      random,
    });
    for (let round = 0; round < 25; round++) {
      await controller.tick();
      await clock.advance(61_000);
    }
    const byKey = new Map<string, number>();
    for (const made of plugin.provisioned) {
      const key = made.Tags[TAG_OP] ?? '';
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
    }
    const twice = [...byKey].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], `seed ${seed}: keys provisioned into more than one instance`);
    assert.ok(plugin.provisioned.length >= 4);
    assert.equal(plugin.instances.size, 4, `seed ${seed}: the group's size`);
    await inner.close?.();
  }
});

test('`tend plugin verify` of an InfraKit-style plugin: notes, not failures, and exit 0', async () => {
  const { code, stdout } = await runCli(
    ['plugin', 'verify', 'ikfile', '--invalid-properties', '"not an object"'],
    { TEND_PLUGIN_DIR: dir },
  );
  assert.equal(code, 0, stdout);
  assert.doesNotMatch(stdout, /FAIL/);
  assert.match(
    stdout,
    /validate rejects invalid properties with invalid_spec\s+note\s.*InfraKit-style error, kind unknown/,
  );
  assert.match(
    stdout,
    /destroy of an unknown or destroyed instance.*\s+note\s.*InfraKit-style error, kind unknown/,
  );
  assert.match(
    stdout,
    /provision twice with the same tend.op gives one instance\s+note\s.*tend\.op not honoured/,
  );
  assert.match(stdout, /all \d+ checks passed \(3 with a note/);
});
