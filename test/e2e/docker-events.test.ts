// Fast healing on a real engine: killing a container must reach watch() listeners as `gone`.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it, test } from 'node:test';
import { createDockerPlugin } from '../../src/plugins/instance/docker/index.js';
import { type InstanceEvent, TAG_GROUP, TAG_OP } from '../../src/spi/index.js';
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
const stateDir = await mkdtemp(join(tmpdir(), 'tend-docker-events-'));

after(async () => {
  if (skip === undefined) await removeContainersByLabel(RUN_LABEL, runId);
  await rm(stateDir, { recursive: true, force: true });
});

if (skip !== undefined) {
  test('docker events', { skip }, () => {});
} else {
  it('docker kill reaches watch() as gone, and close() ends the stream', async () => {
    const plugin = withRunLabel(createDockerPlugin({ stateDir }), runId);
    const group = `events-${runId}`;
    try {
      const id = await plugin.provision({
        tags: { [TAG_GROUP]: group, [TAG_OP]: `op-${runId}` },
        init: 'sleep 300',
        attachments: [],
        properties: { image: TEST_IMAGE, networkMode: 'none' },
      });
      const seen: InstanceEvent[] = [];
      const unwatch = plugin.watch((event) => seen.push(event));
      // The stream opens asynchronously and the engine offers no "subscribed?" query: provoke
      // harmless events until this watcher sees one, so the kill below cannot be missed.
      await waitUntilWatching(seen, runId);
      await dockerClient().getContainer(id).kill();
      const event = await eventually('gone event for the killed container', async () =>
        seen.find((e) => e.id === id && e.type === 'gone'),
      );
      assert.equal(event.tags?.[TAG_GROUP], group);
      unwatch();
    } finally {
      await plugin.close();
    }
  });
}

/** Starts short-lived labelled containers until `seen` holds an event from one of them. */
async function waitUntilWatching(seen: readonly InstanceEvent[], run: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const container = await dockerClient().createContainer({
      Image: TEST_IMAGE,
      Cmd: ['true'],
      Labels: { [TAG_GROUP]: `probe-${run}`, [RUN_LABEL]: run },
      HostConfig: { NetworkMode: 'none', AutoRemove: true },
    });
    await container.start();
    for (let i = 0; i < 20; i++) {
      if (seen.some((e) => e.id === container.id)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error('the engine never delivered an event to the watcher');
}
