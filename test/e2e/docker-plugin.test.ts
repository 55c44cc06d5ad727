// The docker instance plugin against a real engine: the shared instance contract, property
// validation that needs the engine, init/mount/resource wiring, and reaping of exited containers.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, test } from 'node:test';
import { createDockerPlugin, type DockerInstancePlugin } from '../../src/plugins/instance/docker/index.js';
import { type InstanceSpec, TAG_GROUP, TAG_OP, TendError } from '../../src/spi/index.js';
import { runInstancePluginContract } from '../support/contract/plugin-contract.js';
import {
  dockerClient,
  dockerSkipReason,
  eventually,
  newRunId,
  RUN_LABEL,
  removeContainersByLabel,
  TEST_IMAGE,
  withRunLabel,
} from '../support/docker.js';

const skip = await dockerSkipReason();
const runId = newRunId();
const stateDir = await mkdtemp(join(tmpdir(), 'tend-docker-test-'));
const properties = { image: TEST_IMAGE, networkMode: 'none' };

after(async () => {
  if (skip === undefined) await removeContainersByLabel(RUN_LABEL, runId);
  await rm(stateDir, { recursive: true, force: true });
});

function newPlugin(): DockerInstancePlugin {
  return withRunLabel(createDockerPlugin({ stateDir, stopTimeoutSeconds: 1 }), runId);
}

function spec(group: string, init: string, extra: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    tags: { [TAG_GROUP]: group, [TAG_OP]: `op-${newRunId()}` },
    init,
    attachments: [],
    properties,
    ...extra,
  };
}

if (skip !== undefined) {
  test('docker instance plugin', { skip }, () => {});
} else {
  runInstancePluginContract(
    'docker',
    async () => {
      const plugin = newPlugin();
      return { plugin, cleanup: () => plugin.close() };
    },
    {
      properties,
      invalidProperties: { image: TEST_IMAGE, mounts: [{ source: 'relative/dir', target: '/data' }] },
      init: 'sleep 300',
    },
  );

  describe('docker plugin on a real engine', () => {
    it('validate: a missing image, a malformed mount and an unknown property are invalid_spec', async () => {
      const plugin = newPlugin();
      try {
        const cases: Array<[unknown, RegExp]> = [
          [
            { image: 'tend-test/no-such-image:9' },
            /image "tend-test\/no-such-image:9" not found on the engine/,
          ],
          [
            { image: TEST_IMAGE, mounts: [{ source: '/tmp', target: '/a' }, { source: '/tmp' }] },
            /properties\.mounts\[1\]\.target/,
          ],
          [{ image: TEST_IMAGE, colour: 'blue' }, /properties: unknown property "colour"/],
        ];
        for (const [input, message] of cases) {
          await assert.rejects(
            plugin.validate(input as never),
            (error: unknown) => TendError.is(error, 'invalid_spec') && message.test(error.message),
          );
        }
        await plugin.validate(properties);
      } finally {
        await plugin.close();
      }
    });

    it('runs the init script with the mounts, env and resources asked for', async () => {
      const plugin = newPlugin();
      const dir = await mkdtemp(join(tmpdir(), 'tend-docker-mount-'));
      try {
        const id = await plugin.provision(
          spec(`wiring-${runId}`, 'echo "$GREETING" > /data/out; sleep 300', {
            properties: {
              ...properties,
              env: { GREETING: 'hello from init' },
              mounts: [{ source: dir, target: '/data' }],
              resources: { memory: '64m', cpus: 0.5 },
            },
          }),
        );
        const text = await eventually('init wrote /data/out', () =>
          readFile(join(dir, 'out'), 'utf8').then(
            (t) => (t === '' ? undefined : t),
            () => undefined,
          ),
        );
        assert.equal(text, 'hello from init\n');
        const info = await dockerClient().getContainer(id).inspect();
        assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024);
        assert.equal(info.HostConfig.NanoCpus, 500_000_000);
        assert.equal(info.HostConfig.NetworkMode, 'none');
        await plugin.destroy(id, { reason: 'terminate' });
      } finally {
        await plugin.close();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('does not report an exited container, and removes it', async () => {
      const plugin = newPlugin();
      const group = `exited-${runId}`;
      try {
        const id = await plugin.provision(spec(group, 'exit 3'));
        // Describe drops it once it has exited; the removal happens in the background.
        await eventually('exited container no longer described', async () =>
          (await plugin.describeInstances({ [TAG_GROUP]: group })).length === 0 ? true : undefined,
        );
        await eventually('exited container removed from the engine', async () => {
          const left = await dockerClient().listContainers({ all: true, filters: { id: [id] } });
          if (left.length === 0) return true;
          await plugin.describeInstances({ [TAG_GROUP]: group });
          return undefined;
        });
      } finally {
        await plugin.close();
      }
    });

    it('provision of a missing image is invalid_spec and leaves nothing behind', async () => {
      const plugin = newPlugin();
      const group = `missing-${runId}`;
      try {
        await assert.rejects(
          plugin.provision(spec(group, 'sleep 300', { properties: { image: 'tend-test/no-such-image:9' } })),
          (error: unknown) => TendError.is(error, 'invalid_spec'),
        );
        const left = await dockerClient().listContainers({
          all: true,
          filters: { label: [`${TAG_GROUP}=${group}`] },
        });
        assert.deepEqual(left, []);
      } finally {
        await plugin.close();
      }
    });
  });
}
