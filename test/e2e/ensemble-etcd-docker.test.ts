// Issue #6 acceptance on the `docker` instance plugin: `tend apply` of a 3-member etcd group (logical
// IDs a, b, c; flavor etcd) to a real manager process runs each member in a busybox container
// (host network, Debian's /usr/bin/etcd bind-mounted read-only), builds a real cluster, and heals
// two `docker kill`s on different members with new containers under the same logical IDs.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { TAG_GROUP, TAG_LOGICAL } from '../../src/spi/index.js';
import {
  dockerClient,
  dockerSkipReason,
  groupContainers,
  hostBinaryMounts,
  newRunId,
  TEST_IMAGE,
  teardownDockerGroup,
} from '../support/docker.js';
import { freePort, run } from '../support/ensemble.js';
import { e2eWorkspace, eventually, ManagerProcess, runCli } from '../support/manager.js';

const etcdBinary = '/usr/bin/etcd';
const etcdctl = '/usr/bin/etcdctl';

/** Why this file cannot run here, or undefined. With CI=true nothing is skipped: it fails instead. */
async function skipReason(): Promise<string | undefined> {
  if (!(existsSync(etcdBinary) && existsSync(etcdctl)) && process.env.CI !== 'true') {
    const reason = `needs ${etcdBinary} and ${etcdctl} (apt-get install etcd-server etcd-client)`;
    process.stderr.write(`skipping etcd-on-docker tests: ${reason}\n`);
    return reason;
  }
  return dockerSkipReason();
}

const skip = await skipReason();
// Unique per run: the group label is how cleanup finds every container this file created.
const group = `etcd-docker-${newRunId().slice('run-'.length)}`;
const ids = ['a', 'b', 'c'] as const;
/** Hang guard for one convergence on a loaded 2-core machine: 90 s, polled every 250 ms. */
const patient = { attempts: 360, intervalMs: 250 };

interface Ports {
  peerPort: number;
  clientPort: number;
}

function specYaml(ports: ReadonlyMap<string, Ports>, dataDir: string): string {
  const members = ids
    .map((id) => {
      const p = ports.get(id);
      return `          ${id}: { peerPort: ${p?.peerPort}, clientPort: ${p?.clientPort} }`;
    })
    .join('\n');
  // etcd runs from the host, so the container needs it and its libraries; the data dir root is
  // mounted at the same path so the flavor's init script and the host agree on it.
  const mounts = [...hostBinaryMounts(etcdBinary), { source: dataDir, target: dataDir, readOnly: false }]
    .map((m) => `          - ${JSON.stringify(m)}`)
    .join('\n');
  return `
groups:
  - id: ${group}
    allocation: { logicalIds: [${ids.join(', ')}] }
    instance:
      plugin: docker
      properties:
        image: ${TEST_IMAGE}
        networkMode: host
        mounts:
${mounts}
    flavor:
      plugin: etcd
      properties:
        members:
${members}
        dataDir: ${JSON.stringify(dataDir)}
        clusterToken: tend-docker-e2e
        extraFlags: [--heartbeat-interval=100, --election-timeout=1000]
    health: { grace: 15s, unhealthyAfter: 5s, maxInFlight: 1 }
    update: { maxSurge: 0, maxUnavailable: 1, healthyFor: 2s, timeout: 5m, onFailure: pause }
`;
}

if (skip !== undefined) {
  test('tend apply: a 3-member etcd group on the docker plugin', { skip }, () => {});
} else {
  describe('tend apply: a 3-member etcd group on the docker plugin', () => {
    let workspace: Awaited<ReturnType<typeof e2eWorkspace>> | undefined;
    let manager: ManagerProcess | undefined;
    const ports = new Map<string, Ports>();
    let endpoints: string[] = [];
    const docker = dockerClient();

    const ctl = (...args: string[]) =>
      run(etcdctl, [
        `--endpoints=${endpoints.join(',')}`,
        '--dial-timeout=2s',
        '--command-timeout=4s',
        ...args,
      ]);
    /** The group's running containers by logical ID; undefined while two claim the same one. */
    const membersByLogical = async () => {
      const byId = new Map<string, string>();
      for (const c of await groupContainers(group)) {
        const logical = c.Labels[TAG_LOGICAL] ?? '';
        if (byId.has(logical)) return undefined;
        byId.set(logical, c.Id);
      }
      return byId;
    };
    /** etcdctl's own view: every endpoint healthy, and a, b, c all started members. */
    const clusterHealthy = async (): Promise<true | undefined> => {
      await ctl('endpoint', 'health');
      const list = JSON.parse(await ctl('member', 'list', '--write-out=json')) as {
        members?: Array<{ name?: string }>;
      };
      const names = (list.members ?? []).map((m) => m.name ?? '').sort();
      return names.join() === ids.join() ? true : undefined;
    };
    /** Exactly three containers, all running, one per logical ID: killed ones are reaped too. */
    const exactlyThreeRunning = async () => {
      const all = await groupContainers(group, { all: true });
      const logical = all.map((c) => c.Labels[TAG_LOGICAL] ?? '').sort();
      const ok = all.length === 3 && all.every((c) => c.State === 'running') && logical.join() === ids.join();
      return ok ? all : undefined;
    };

    before(async () => {
      assert.ok(
        existsSync(etcdBinary) && existsSync(etcdctl),
        `CI=true and ${etcdBinary} or ${etcdctl} is missing`,
      );
      workspace = await e2eWorkspace('ensemble-etcd-docker');
      for (const id of ids) ports.set(id, { peerPort: await freePort(), clientPort: await freePort() });
      endpoints = ids.map((id) => `http://127.0.0.1:${ports.get(id)?.clientPort}`);
      manager = await ManagerProcess.start({
        name: 'ensemble-docker',
        dir: workspace.dir,
        stateDir: workspace.stateDir,
        tickIntervalMs: 250,
      });
      workspace.managers.push(manager);
      const leading = manager;
      await eventually('the manager to lead', async () => ((await leading.isLeader()) ? true : undefined));
    });

    after(() => teardownDockerGroup({ label: 'etcd-docker', group, manager, workspace }));

    it('tend apply builds a healthy 3-member cluster of containers', { timeout: 240_000 }, async () => {
      assert.ok(workspace !== undefined && manager !== undefined);
      const dataDir = join(workspace.dir, 'etcd-data');
      const specFile = join(workspace.dir, 'etcd-docker.yaml');
      // The flavor's init script makes the member dirs; the mount source must exist beforehand.
      await run('/bin/mkdir', ['-p', dataDir]);
      await writeFile(specFile, specYaml(ports, dataDir));
      const started = performance.now();
      const result = await runCli(['apply', '-f', specFile, '--manager', manager.url, '--timeout', '3m'], {
        TEND_TOKEN: manager.token,
      });
      assert.equal(result.code, 0, `tend apply failed:\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, /converged/);
      await eventually('etcdctl to see 3 healthy members a, b, c', clusterHealthy, patient);
      console.log(
        `# etcd-docker: apply → converged + healthy in ${Math.round(performance.now() - started)} ms`,
      );
      const containers = await eventually(
        'one running container per logical ID',
        exactlyThreeRunning,
        patient,
      );
      for (const c of containers) {
        assert.equal(c.Image, TEST_IMAGE);
        assert.equal(c.HostConfig.NetworkMode, 'host');
      }
      await ctl('put', '/tend/e2e', 'kept');
    });

    for (const victim of ['b', 'a'] as const) {
      it(`docker kill of member ${victim}: a new container under the same logical ID, key kept`, {
        timeout: 240_000,
      }, async () => {
        assert.ok(manager !== undefined);
        const before = (await membersByLogical())?.get(victim);
        assert.ok(before !== undefined, `member ${victim} has no running container`);
        const killedAt = performance.now();
        await docker.getContainer(before).kill();
        const replacement = await eventually(
          `a new container for ${victim}`,
          async () => {
            const now = (await membersByLogical())?.get(victim);
            return now !== undefined && now !== before ? now : undefined;
          },
          { attempts: 900, intervalMs: 100 },
        );
        const replacedMs = Math.round(performance.now() - killedAt);
        await eventually('etcdctl to see 3 healthy members again', clusterHealthy, patient);
        const healedMs = Math.round(performance.now() - killedAt);
        console.log(
          `# etcd-docker: docker kill ${victim} → new container in ${replacedMs} ms, cluster healthy in ` +
            `${healedMs} ms (${before.slice(0, 12)} → ${replacement.slice(0, 12)})`,
        );
        const info = await docker.getContainer(replacement).inspect();
        assert.equal(info.Config.Labels[TAG_LOGICAL], victim);
        assert.equal(info.Config.Labels[TAG_GROUP], group);
        assert.equal((await ctl('get', '/tend/e2e', '--print-value-only')).trim(), 'kept');
        // The killed container is reaped, not left behind as `exited`.
        const final = await eventually(
          'exactly 3 running containers, the killed one gone',
          exactlyThreeRunning,
          patient,
        );
        assert.ok(final.every((c) => c.Id !== before));
        const client = manager.client;
        await eventually(
          'the group converged',
          async () => {
            const status = (await client.status()).groups.find((g) => g.id === group);
            return status?.phase === 'converged' && status.healthy === 3 ? status : undefined;
          },
          patient,
        );
      });
    }
  });
}
