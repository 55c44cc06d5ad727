// The engine becomes unreachable under a running group controller. Other tests share the one
// daemon, so the outage is simulated: the plugin talks to the engine through a unix-socket proxy
// this test cuts and restores. While cut, the controller must act on nothing and say it is blind;
// once restored it must recover by itself, with no duplicate and no orphan container.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, test } from 'node:test';
import { TAG_OP } from '../../src/spi/index.js';
import {
  type DockerGroupRun,
  dockerClient,
  dockerGroupSpec,
  dockerSkipReason,
  dockerSocketPath,
  eventually,
  groupContainers,
  newRunId,
  RUN_LABEL,
  removeContainersByLabel,
  startDockerGroup,
} from '../support/docker.js';

const skip = await dockerSkipReason();
const runId = newRunId();
const dir = await mkdtemp(join(tmpdir(), 'tend-docker-outage-'));
const docker = dockerClient();
/** Hang guard on a loaded machine: 90 s, polled every 100 ms. */
const patient = { attempts: 900, intervalMs: 100 };

/**
 * A cuttable path to the engine. `down()` drops every connection and removes the socket, so
 * the plugin sees exactly what a stopped dockerd gives it (ENOENT, ECONNRESET).
 */
class EngineProxy {
  readonly path: string;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private cutOnCreate: (() => void) | undefined;

  constructor(path: string) {
    this.path = path;
  }

  async up(): Promise<void> {
    await rm(this.path, { force: true });
    const server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(this.path, { force: true });
  }

  /**
   * Goes down at the engine's answer to the next container create, without passing it on: the
   * container exists, the caller never learns its ID (a lost response).
   */
  cutAtNextCreateAnswer(): Promise<void> {
    return new Promise((resolve) => {
      this.cutOnCreate = resolve;
    });
  }

  private relay(client: Socket): void {
    const engine = connect(dockerSocketPath());
    this.sockets.add(client);
    this.sockets.add(engine);
    let createSent = false;
    client.on('data', (chunk: Buffer) => {
      if (/^POST \S*\/containers\/create/m.test(chunk.toString('latin1'))) createSent = true;
      engine.write(chunk);
    });
    engine.on('data', (chunk: Buffer) => {
      const cut = this.cutOnCreate;
      if (createSent && cut !== undefined) {
        this.cutOnCreate = undefined;
        void this.down().then(cut);
        return;
      }
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      engine.destroy();
    };
    for (const socket of [client, engine]) {
      socket.on('error', close);
      socket.on('close', close);
    }
  }
}

after(async () => {
  if (skip === undefined) await removeContainersByLabel(RUN_LABEL, runId);
  await rm(dir, { recursive: true, force: true });
});

/** Waits for two more ticks (the controller's own lastTickAt), so "did nothing" covers real ticks. */
async function twoMoreTicks(run: DockerGroupRun): Promise<void> {
  let seen = run.controller.status().lastTickAt;
  for (let tick = 0; tick < 2; tick++) {
    const before = seen;
    seen = await eventually(
      'the controller ticks while blind',
      async () => {
        const at = run.controller.status().lastTickAt;
        return at !== undefined && at !== before ? at : undefined;
      },
      patient,
    );
  }
}

async function blind(run: DockerGroupRun): Promise<void> {
  await eventually(
    'status phase blind',
    async () => (run.controller.status().phase === 'blind' ? true : undefined),
    patient,
  );
  assert.match(run.controller.status().lastError ?? '', /unreachable/);
}

/** Exactly 4 containers carry the group label, all running, each in its own slot. */
async function fourHealthy(group: string) {
  const all = await eventually(
    'exactly 4 containers, all running',
    async () => {
      const found = await groupContainers(group, { all: true });
      return found.length === 4 && found.every((c) => c.State === 'running') ? found : undefined;
    },
    patient,
  );
  const slots = all.map((c) => c.Labels[TAG_OP]?.split(':').at(-2));
  assert.deepEqual([...slots].sort(), ['0', '1', '2', '3']);
  return all;
}

if (skip !== undefined) {
  test('docker engine outage', { skip }, () => {});
} else {
  describe('group controller when the docker engine is unreachable', () => {
    it('acts on nothing while cut off, then recovers with no duplicates and no orphans', async () => {
      const proxy = new EngineProxy(join(dir, 'engine.sock'));
      await proxy.up();
      const cut = proxy.cutAtNextCreateAnswer();
      const spec = dockerGroupSpec(`outage-${runId}`);
      const run = startDockerGroup(spec, { runId, socketPath: proxy.path, stateDir: dir });
      try {
        // 1. The engine goes away in the middle of a provision: the created container's ID is lost.
        await cut;
        const orphaned = await groupContainers(spec.id, { all: true });
        console.log(
          `docker-group outage: cut with ${orphaned.length} container(s) made, states ${orphaned.map((c) => c.State).join(',')}`,
        );
        assert.ok(orphaned.length >= 1, 'the engine made the container whose answer was lost');
        await blind(run);
        let calls = { ...run.calls };
        await twoMoreTicks(run);
        assert.deepEqual(run.calls, calls, 'provider calls while blind');
        let started = performance.now();
        await proxy.up();
        const first = await fourHealthy(spec.id);
        console.log(
          `docker-group outage: recovered from a lost create in ${Math.round(performance.now() - started)} ms`,
        );
        const ids = new Set(first.map((c) => c.Id));
        assert.ok(
          orphaned.every((c) => ids.has(c.Id)),
          'the half-made container was adopted, not duplicated',
        );

        // 2. Cut off a converged group, and lose two containers while Tend cannot see.
        await proxy.down();
        await blind(run);
        const [killed, removed] = first;
        assert.ok(killed !== undefined && removed !== undefined);
        await docker.getContainer(killed.Id).kill();
        await docker.getContainer(removed.Id).remove({ force: true });
        calls = { ...run.calls };
        const eventsBefore = run.events.length;
        await twoMoreTicks(run);
        assert.deepEqual(run.calls, calls, 'provider calls while blind');
        assert.deepEqual(
          run.events.slice(eventsBefore).filter((e) => e.type !== 'blind'),
          [],
          'events while blind',
        );
        assert.equal((await groupContainers(spec.id)).length, 2, 'nothing replaced while blind');
        started = performance.now();
        await proxy.up();
        const second = await fourHealthy(spec.id);
        console.log(
          `docker-group outage: recovered a converged group in ${Math.round(performance.now() - started)} ms`,
        );
        assert.ok(second.every((c) => c.Id !== killed.Id && c.Id !== removed.Id));
        // The engine may show 4 before the controller's next describe does.
        await eventually(
          'status converged',
          async () => (run.controller.status().phase === 'converged' ? true : undefined),
          patient,
        );
        assert.equal(run.calls.destroy, 0, 'nothing destroyed');
      } finally {
        await run.stop();
        await proxy.down();
      }
    });
  });
}
