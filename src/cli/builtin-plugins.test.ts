import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TendError } from '../spi/index.js';
import { BuiltinPluginResolver, unknownPluginMessage } from './builtin-plugins.js';

test('a misspelled plugin name gets a suggestion and the list of built-ins', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tend-resolver-'));
  const resolver = new BuiltinPluginResolver({
    stateDir: join(dir, 'process'),
    pluginDir: join(dir, 'plugins'),
  });
  try {
    await assert.rejects(resolver.flavor('vanila'), (error: unknown) => {
      assert.ok(TendError.is(error, 'not_found'));
      assert.match(
        error.message,
        /^unknown flavor plugin "vanila" \(did you mean vanilla\?\); built in: vanilla, combo, etcd, zookeeper, kubeadm, swarm; and plugin vanila: no socket named vanila in /,
      );
      return true;
    });
    await assert.rejects(
      resolver.instance('procss'),
      /unknown instance plugin "procss" \(did you mean process\?\); built in: process, simulator, docker, ec2, hosts;/,
    );
    await assert.rejects(resolver.instance('my-cloud'), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.doesNotMatch(error.message, /did you mean/);
      assert.match(error.message, /built in: process,/);
      return true;
    });
  } finally {
    await resolver.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('unknownPluginMessage suggests only a close name', () => {
  assert.equal(
    unknownPluginMessage('flavor', 'zookeper', ['vanilla', 'zookeeper'], 'no socket'),
    'unknown flavor plugin "zookeper" (did you mean zookeeper?); built in: vanilla, zookeeper; and no socket',
  );
  assert.equal(
    unknownPluginMessage('instance', 'x', ['process'], 'no socket'),
    'unknown instance plugin "x"; built in: process; and no socket',
  );
});
