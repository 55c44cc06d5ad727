// Helpers for tests that need a real Docker Engine: reachability, the skip-or-fail rule, and
// removing every container a test run created, by label, even when the test failed.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { createGroupController, type GroupController, memoryJournal } from '../../src/group/index.js';
import { createVanillaFlavor } from '../../src/plugins/flavor/vanilla/index.js';
import { createDockerPlugin } from '../../src/plugins/instance/docker/index.js';
import {
  type GroupEvent,
  type GroupSpec,
  groupId,
  type InstancePlugin,
  type InstanceSpec,
  TAG_GROUP,
} from '../../src/spi/index.js';
import { eventually } from './manager.js';

export const TEST_IMAGE = 'tend-test/busybox:1';
export const TEST_IMAGE_2 = 'tend-test/busybox:2';
/** Every container a test run creates carries this label, so cleanup can find them all. */
export const RUN_LABEL = 'tend.test-run';

export function dockerSocketPath(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') === true ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

export function dockerClient(): Docker {
  return new Docker({ socketPath: dockerSocketPath(), timeout: 30_000 });
}

/** True when the engine answers a ping within a few seconds. */
export async function dockerAvailable(): Promise<boolean> {
  try {
    // A short client timeout: a hung engine counts as unreachable.
    await new Docker({ socketPath: dockerSocketPath(), timeout: 5_000 }).ping();
    return true;
  } catch {
    return false;
  }
}

/**
 * Why engine tests cannot run here, or undefined when they can. On a developer's box a missing
 * engine (or test image) is a skip with a printed reason; with CI=true it throws, so CI fails
 * instead of silently skipping.
 */
export async function dockerSkipReason(): Promise<string | undefined> {
  let reason: string | undefined;
  if (!(await dockerAvailable())) {
    reason = `docker engine unreachable at ${dockerSocketPath()} (start it with scripts/ci/docker-start.sh)`;
  } else {
    try {
      await dockerClient().getImage(TEST_IMAGE).inspect();
    } catch {
      reason = `test image ${TEST_IMAGE} missing (build it with scripts/ci/docker-start.sh)`;
    }
  }
  if (reason === undefined) return undefined;
  if (process.env.CI === 'true') throw new Error(`CI=true, so not skipping: ${reason}`);
  process.stderr.write(`skipping docker tests: ${reason}\n`);
  return reason;
}

export function newRunId(): string {
  return `run-${randomBytes(6).toString('hex')}`;
}

/**
 * Read-only bind mounts that let a dynamically linked host binary (Debian's /usr/bin/etcd, say)
 * run inside a busybox container: the binary itself at the same path, and every directory `ldd`
 * resolves its libraries and loader to (asked of `ldd`, not hard-coded, so no amd64 paths are assumed).
 */
export function hostBinaryMounts(binary: string): Array<{ source: string; target: string; readOnly: true }> {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8', timeout: 10_000 });
  const dirs = new Set<string>();
  for (const line of out.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)".
    const path = /(\/\S+)\s+\(0x/.exec(line)?.[1];
    if (path !== undefined) dirs.add(dirname(path));
  }
  if (dirs.size === 0) throw new Error(`ldd found no libraries for ${binary}:\n${out}`);
  return [binary, ...[...dirs].sort()].map((source) => ({ source, target: source, readOnly: true }));
}

/**
 * Read-only bind mounts that let a host JVM run inside a busybox container, every path mounted at
 * the same place: the JVM home `java` (a symlink chain such as /usr/bin/java is fine) resolves
 * into, the libraries `ldd` finds for its launcher, libjli.so and libjvm.so, each of `extraDirs`
 * (/usr/share/java for jars, say), and wherever symlinks inside those trees point outside them
 * (Debian's conf → /etc/java-17-openjdk, cacerts → /etc/ssl/certs/java), found by walking, not
 * assumed; the library dirs themselves are not walked. Returns the mounts and the resolved launcher path to run.
 */
export function hostJvmMounts(
  java: string,
  extraDirs: readonly string[] = [],
): { java: string; mounts: Array<{ source: string; target: string; readOnly: true }> } {
  const launcher = realpathSync(java);
  const home = dirname(dirname(launcher));
  const trees = [home, ...extraDirs.map((d) => realpathSync(d))];
  const roots = new Set<string>(trees);
  for (const lib of [launcher, join(home, 'lib', 'libjli.so'), join(home, 'lib', 'server', 'libjvm.so')]) {
    if (!existsSync(lib)) continue;
    for (const m of hostBinaryMounts(lib)) if (m.source !== lib) roots.add(m.source);
  }
  const covered = (path: string) => [...roots].some((r) => path === r || path.startsWith(`${r}/`));
  // Follow symlinks out of the JVM and extra trees (not the system library dirs) until nothing new
  // turns up; a target's directory is mounted.
  const pending = [...trees];
  for (let root = pending.pop(); root !== undefined; root = pending.pop()) {
    for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isSymbolicLink()) continue;
      let target: string;
      try {
        target = realpathSync(join(entry.parentPath, entry.name));
      } catch {
        continue; // Dangling: nothing to mount.
      }
      if (covered(target)) continue;
      const dir = statSync(target).isDirectory() ? target : dirname(target);
      roots.add(dir);
      pending.push(dir);
    }
  }
  // Drop roots nested in others: one mount each.
  const sorted = [...roots].sort();
  const top = sorted.filter((r) => !sorted.some((o) => o !== r && r.startsWith(`${o}/`)));
  return { java: launcher, mounts: top.map((source) => ({ source, target: source, readOnly: true })) };
}

/** Force-removes every container (running or not) carrying `label=value`. Returns how many. */
export async function removeContainersByLabel(label: string, value: string): Promise<number> {
  const docker = dockerClient();
  const found = await docker.listContainers({ all: true, filters: { label: [`${label}=${value}`] } });
  await Promise.all(
    found.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((error: unknown) => {
          // 404/409: already gone or being removed; anything else is worth seeing.
          const status = (error as { statusCode?: unknown }).statusCode;
          if (status !== 404 && status !== 409) throw error;
        }),
    ),
  );
  return found.length;
}

/**
 * Wraps a plugin so every provision also carries `RUN_LABEL=runId` — the contract suite makes
 * its own tags, and this is how its containers stay findable for cleanup.
 */
export function withRunLabel<P extends InstancePlugin>(plugin: P, runId: string): P {
  return new Proxy(plugin, {
    get(target, key, receiver) {
      if (key === 'provision') {
        return (spec: InstanceSpec, options?: Parameters<P['provision']>[1]) =>
          target.provision({ ...spec, tags: { ...spec.tags, [RUN_LABEL]: runId } }, options);
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A group's containers as the engine lists them (label `tend.group=group`); `all` adds stopped ones. */
export async function groupContainers(
  group: string,
  options: { all?: boolean } = {},
): Promise<Docker.ContainerInfo[]> {
  return dockerClient().listContainers({
    all: options.all === true,
    filters: { label: [`${TAG_GROUP}=${group}`] },
  });
}

/** A size group of docker containers running `init`, on no network: what the group e2e tests run. */
export function dockerGroupSpec(id: string, options: { image?: string; size?: number } = {}): GroupSpec {
  return {
    id: groupId(id),
    allocation: { size: options.size ?? 4 },
    instance: { plugin: 'docker', properties: { image: options.image ?? TEST_IMAGE, networkMode: 'none' } },
    flavor: { plugin: 'vanilla', properties: { init: ['sleep 3600'] } },
    // Generous grace: under test every described container is healthy at once anyway.
    health: { graceMs: 30_000, unhealthyAfterMs: 10_000, maxInFlight: 1 },
    update: { maxSurge: 1, maxUnavailable: 0, healthyForMs: 500, timeoutMs: 300_000, onFailure: 'pause' },
    scaleIn: { order: 'oldest' },
  };
}

/** A group controller over its own docker plugin, started, with what it did recorded. */
export interface DockerGroupRun {
  controller: GroupController;
  events: GroupEvent[];
  /** Provider calls the controller made (counted when made, whatever their outcome). */
  calls: { provision: number; destroy: number };
  /** Stops the controller, closes the plugin, and removes the group's containers. */
  stop(): Promise<void>;
}

export interface DockerGroupOptions {
  /** Tags every container with `RUN_LABEL=runId` for cleanup. */
  runId: string;
  stateDir?: string;
  /** Engine socket the plugin talks to (a test proxy, say). */
  socketPath?: string;
  tickIntervalMs?: number;
}

export function startDockerGroup(spec: GroupSpec, options: DockerGroupOptions): DockerGroupRun {
  const plugin = withRunLabel(
    createDockerPlugin({
      stopTimeoutSeconds: 1,
      ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
      ...(options.socketPath === undefined ? {} : { socketPath: options.socketPath }),
    }),
    options.runId,
  );
  const calls = { provision: 0, destroy: 0 };
  const counted: InstancePlugin = new Proxy(plugin, {
    get(target, key) {
      if (key === 'provision' || key === 'destroy') calls[key] += 1;
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const events: GroupEvent[] = [];
  const controller = createGroupController({
    spec,
    instancePlugin: counted,
    flavorPlugin: createVanillaFlavor(),
    journal: memoryJournal(),
    epoch: 1,
    tickIntervalMs: options.tickIntervalMs ?? 500,
    onEvent: (event) => events.push(event),
  });
  controller.start(new AbortController().signal);
  return {
    controller,
    events,
    calls,
    stop: async () => {
      await controller.stop();
      await plugin.close();
      await removeContainersByLabel(TAG_GROUP, spec.id);
    },
  };
}

export { eventually };

/**
 * Tears down a docker-backed group after an e2e test; each step runs whatever the one before did,
 * so a failed destroy never leaves containers: `tend destroy` through the manager (bounded), the
 * manager stopped, leftovers force-removed by the group label, the workspace removed.
 */
export async function teardownDockerGroup(options: {
  label: string;
  group: string;
  manager:
    | { client: { destroy(id: string, o: { reason: string }): Promise<unknown> }; stop(): Promise<void> }
    | undefined;
  workspace: { cleanup(): Promise<void> } | undefined;
}): Promise<void> {
  const { label, group, manager, workspace } = options;
  const started = performance.now();
  if (manager !== undefined) {
    try {
      await Promise.race([
        manager.client.destroy(group, { reason: 'e2e cleanup' }),
        new Promise((_, reject) => setTimeout(reject, 60_000, new Error('timed out')).unref()),
      ]);
      await eventually(
        'the group destroyed',
        async () => ((await groupContainers(group, { all: true })).length === 0 ? true : undefined),
        { attempts: 300 },
      );
      console.log(
        `# ${label}: tend destroy → no containers in ${Math.round(performance.now() - started)} ms`,
      );
    } catch (error) {
      console.log(`# ${label}: tend destroy did not finish cleanly (${String(error)}); forcing removal`);
    }
  }
  try {
    await manager?.stop();
  } finally {
    try {
      const left = await removeContainersByLabel(TAG_GROUP, group);
      if (left > 0) console.log(`# ${label}: force-removed ${left} leftover containers`);
    } finally {
      // Removes the temp dir, member data included (the containers wrote it as root; so are we).
      await workspace?.cleanup();
    }
  }
}
