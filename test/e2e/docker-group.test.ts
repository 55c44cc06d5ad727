// The docker instance plugin under the group controller on a real engine: event-driven healing
// of killed and removed containers, a rolling update that never loses capacity, and properties
// the engine cannot run, which must fail without creating anything or looping.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, test } from 'node:test';
import { configHash } from '../../src/group/index.js';
import { type GroupSpec, type GroupStatus, type JsonValue, TAG_CONFIG } from '../../src/spi/index.js';
import {
  type DockerGroupRun,
  dockerClient,
  dockerGroupSpec,
  dockerSkipReason,
  eventually,
  groupContainers,
  newRunId,
  RUN_LABEL,
  removeContainersByLabel,
  startDockerGroup,
  TEST_IMAGE,
  TEST_IMAGE_2,
} from '../support/docker.js';

const skip = await dockerSkipReason();
const runId = newRunId();
const stateDir = await mkdtemp(join(tmpdir(), 'tend-docker-group-'));
const docker = dockerClient();
/** Hang guard for convergence on a loaded 2-core machine: 90 s, polled every 100 ms. */
const patient = { attempts: 900, intervalMs: 100 };

after(async () => {
  if (skip === undefined) await removeContainersByLabel(RUN_LABEL, runId);
  await rm(stateDir, { recursive: true, force: true });
});

function startGroup(spec: GroupSpec): DockerGroupRun {
  return startDockerGroup(spec, { runId, stateDir });
}

async function runningContainers(group: string, count: number) {
  return eventually(
    `${count} running containers in ${group}`,
    async () => {
      const found = await groupContainers(group);
      return found.length === count ? found : undefined;
    },
    patient,
  );
}

/** Every container of the group, running or not, is one of `count` running ones: no leftovers. */
async function exactlyRunning(
  group: string,
  count: number,
  check: (labels: Record<string, string>) => boolean,
) {
  return eventually(
    `exactly ${count} containers in ${group}, all running`,
    async () => {
      const all = await groupContainers(group, { all: true });
      const ok = all.length === count && all.every((c) => c.State === 'running' && check(c.Labels));
      return ok ? all : undefined;
    },
    patient,
  );
}

/** Counts the group's running containers every `everyMs` until stopped. */
function sampleRunning(group: string, everyMs: number) {
  const counts: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      counts.push((await groupContainers(group)).length);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return counts;
    },
  };
}

if (skip !== undefined) {
  test('docker group controller', { skip }, () => {});
} else {
  describe('group controller with the docker plugin on a real engine', () => {
    it('replaces a killed and a removed container', async () => {
      const spec = dockerGroupSpec(`heal-${runId}`);
      const run = startGroup(spec);
      try {
        const [killed, removed] = await runningContainers(spec.id, 4);
        assert.ok(killed !== undefined && removed !== undefined);
        const started = performance.now();
        await docker.getContainer(killed.Id).kill();
        await docker.getContainer(removed.Id).remove({ force: true });
        await eventually(
          'both replaced',
          async () => {
            const ids = new Set((await groupContainers(spec.id)).map((c) => c.Id));
            return ids.size === 4 && !ids.has(killed.Id) && !ids.has(removed.Id) ? true : undefined;
          },
          { attempts: 3600, intervalMs: 25 },
        );
        const healedMs = Math.round(performance.now() - started);
        // The killed container must not linger as `exited` (the plugin reaps it): no orphans.
        const final = await exactlyRunning(spec.id, 4, () => true);
        const created = run.events.filter((e) => e.type === 'created');
        console.log(`docker-group heal: kill + rm -f → 4 running again in ${healedMs} ms`);
        assert.equal(created.length, 6, 'four at start, then one per lost container');
        assert.equal(run.events.filter((e) => e.type === 'destroyed').length, 0);
        assert.ok(final.every((c) => c.Id !== killed.Id && c.Id !== removed.Id));
      } finally {
        await run.stop();
      }
    });

    it('rolls image 1 → 2 with maxSurge 1 and maxUnavailable 0, never below 4 running', async () => {
      const spec = dockerGroupSpec(`roll-${runId}`);
      const run = startGroup(spec);
      try {
        await exactlyRunning(spec.id, 4, () => true);
        const next: GroupSpec = {
          ...spec,
          instance: { plugin: 'docker', properties: { image: TEST_IMAGE_2, networkMode: 'none' } },
        };
        const target = configHash(next);
        const sampler = sampleRunning(spec.id, 100);
        const started = performance.now();
        run.controller.update(next);
        const final = await exactlyRunning(spec.id, 4, (labels) => labels[TAG_CONFIG] === target);
        await eventually('rollout done', async () =>
          run.controller.status().rollout?.state === 'done' ? true : undefined,
        );
        const rolledMs = Math.round(performance.now() - started);
        const counts = await sampler.stop();
        const min = Math.min(...counts);
        const max = Math.max(...counts);
        console.log(
          `docker-group rollout: ${rolledMs} ms, ${counts.length} samples, running min ${min} max ${max}`,
        );
        assert.ok(counts.length > 0);
        assert.ok(min >= 4, `running dropped to ${min}`);
        assert.ok(max <= 5, `running reached ${max}`);
        assert.ok(final.every((c) => c.Image === TEST_IMAGE_2));
        await eventually(
          'status converged',
          async () => (run.controller.status().phase === 'converged' ? true : undefined),
          patient,
        );
      } finally {
        await run.stop();
      }
    });

    const badInputs: Array<{ name: string; properties: JsonValue; problem: RegExp }> = [
      {
        name: 'missing-image',
        properties: { image: 'tend-test/no-such-image:9', networkMode: 'none' },
        problem: /image "tend-test\/no-such-image:9" not found on the engine/,
      },
      {
        name: 'bad-mount',
        properties: { image: TEST_IMAGE, mounts: [{ source: 'relative/dir', target: '/data' }] },
        problem: /properties\.mounts\[0\]\.source: expected an absolute host path/,
      },
      {
        name: 'unknown-property',
        properties: { image: TEST_IMAGE, colour: 'blue' },
        problem: /properties: unknown property "colour"/,
      },
    ];
    const statuses = new Map<string, GroupStatus>();

    it('properties the engine cannot run create nothing and stop being retried', async () => {
      const runs = badInputs.map((bad) => {
        const base = dockerGroupSpec(`bad-${bad.name}-${runId}`);
        const spec: GroupSpec = { ...base, instance: { plugin: 'docker', properties: bad.properties } };
        return { bad, spec, run: startGroup(spec) };
      });
      try {
        for (const { bad, spec, run } of runs) {
          await eventually(
            `${bad.name}: breaker open`,
            async () => (run.controller.status().breaker.open ? true : undefined),
            patient,
          );
          const attempts = run.calls.provision;
          // A quiet window: an open breaker must mean no more provisions, not a slower loop.
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          const status = run.controller.status();
          statuses.set(bad.name, status);
          const failures = run.events.filter((e) => e.type === 'provision-failed');
          console.log(
            `docker-group bad input ${bad.name}: ${attempts} provision attempts, then breaker open (${status.breaker.reason ?? ''})`,
          );
          assert.equal(
            run.calls.provision,
            attempts,
            `${bad.name}: provisions went on after the breaker opened`,
          );
          assert.ok(failures.length > 0 && failures.every((e) => bad.problem.test(e.message)), bad.name);
          assert.deepEqual(
            await groupContainers(spec.id, { all: true }),
            [],
            `${bad.name}: containers created`,
          );
          assert.equal(status.phase, 'breaker-open');
        }
      } finally {
        await Promise.all(runs.map(({ run }) => run.stop()));
      }
    });

    it('status names why provisions fail', () => {
      for (const bad of badInputs) {
        const status = statuses.get(bad.name);
        assert.ok(status !== undefined, `${bad.name}: no status recorded`);
        assert.match(
          status.lastError ?? '',
          /^docker provision failed: /,
          `${bad.name}: plugin and operation`,
        );
        assert.match(status.lastError ?? '', bad.problem, `${bad.name}: lastError`);
        // The engine calls these invalid (invalid_spec): stopped at once, not after retries.
        assert.match(status.breaker.reason ?? '', bad.problem, `${bad.name}: breaker reason`);
        assert.match(status.breaker.reason ?? '', /not retried: fix the spec/, bad.name);
      }
    });
  });
}
