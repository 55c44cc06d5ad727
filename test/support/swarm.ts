// A real Docker swarm for tests: one `dockerd` per netns test host (test/support/netns-hosts.ts),
// each with its own address, data root, exec root, PID file and socket, and no host network
// changes (--iptables=false, --bridge=none, --ip-forward=false). `swarm init` on the first,
// `join` as managers on the others: real SwarmKit Raft. Each daemon runs in its own mount and UTS
// namespace (entered with nsenter/unshare, not `ip netns exec`, which remounts /sys and hides the
// cgroup mounts dockerd needs), so the mounts it makes vanish with it and `docker node ls` shows
// the host's own name. Daemons are started and killed by PID; closing removes everything.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { eventually, isAlive, ManagerProcess } from './manager.js';
import { type NetnsHost, type NetnsHosts, netnsSkipReason, startNetnsHosts } from './netns-hosts.js';

const DOCKERD = '/usr/sbin/dockerd';
const SWARM_PORT = 2377;

export interface SwarmEngine {
  name: string;
  address: string;
  host: NetnsHost;
  socketPath: string;
  docker: Docker;
  /** dockerd's PID while it runs. */
  pid(): number | undefined;
  /** SIGKILL to dockerd and every other process it left in its namespace (its containerd). */
  kill(): Promise<void>;
  /** Starts dockerd again on the same data root (it rejoins the swarm by itself). */
  start(): Promise<void>;
  /** The swarm node ID, once the engine is in the swarm. */
  nodeId(): Promise<string>;
}

export interface TestSwarm {
  engines: SwarmEngine[];
  hosts: NetnsHosts;
  /** The engine whose node is the Raft leader now, asked of any engine that answers. */
  leader(): Promise<SwarmEngine>;
  /** A started engine on the next free host that is not in the swarm (for flavor tests). */
  close(): Promise<void>;
}

export interface StartSwarmOptions {
  /** Engines started; all of them join as managers (default 3). */
  managers?: number;
  /** Extra hosts with no engine, for instances a test starts itself (default 0). */
  spareHosts?: number;
}

/** Why swarm tests cannot run here (undefined when they can); throws with CI=true. */
export function swarmSkipReason(): string | undefined {
  const netns = netnsSkipReason();
  if (netns !== undefined) return netns;
  if (existsSync(DOCKERD)) return undefined;
  const reason = `${DOCKERD} missing (apt-get install docker.io)`;
  if (process.env.CI === 'true') throw new Error(`CI=true, so not skipping: ${reason}`);
  process.stderr.write(`skipping swarm tests: ${reason}\n`);
  return reason;
}

export async function startSwarm(options: StartSwarmOptions = {}): Promise<TestSwarm> {
  const managers = options.managers ?? 3;
  const hosts = await startNetnsHosts({ count: managers + (options.spareHosts ?? 0) });
  const engines: SwarmEngine[] = [];
  try {
    for (const host of hosts.hosts.slice(0, managers)) engines.push(await makeEngine(host, hosts.dir));
    await Promise.all(engines.map((e) => e.start()));
    const [first, ...rest] = engines;
    if (first === undefined) throw new Error('startSwarm: managers must be ≥ 1');
    await first.docker.swarmInit({
      ListenAddr: `${first.address}:${SWARM_PORT}`,
      AdvertiseAddr: `${first.address}:${SWARM_PORT}`,
    });
    const token = ((await first.docker.swarmInspect()) as { JoinTokens: { Manager: string } }).JoinTokens
      .Manager;
    // One at a time: each join changes the Raft membership, which SwarmKit serialises anyway.
    for (const engine of rest) {
      await engine.docker.swarmJoin({
        ListenAddr: `${engine.address}:${SWARM_PORT}`,
        AdvertiseAddr: `${engine.address}:${SWARM_PORT}`,
        RemoteAddrs: [`${first.address}:${SWARM_PORT}`],
        JoinToken: token,
      });
    }
    return {
      engines,
      hosts,
      leader: () => findLeader(engines),
      close: async () => {
        for (const engine of engines) await engine.kill().catch(() => undefined);
        await hosts.close();
      },
    };
  } catch (error) {
    for (const engine of engines) await engine.kill().catch(() => undefined);
    await hosts.close();
    throw error;
  }
}

async function findLeader(engines: SwarmEngine[]): Promise<SwarmEngine> {
  for (let attempt = 0; attempt < 600; attempt++) {
    for (const engine of engines) {
      if (engine.pid() === undefined) continue;
      try {
        const nodes = (await engine.docker.listNodes()) as Array<{
          ID: string;
          ManagerStatus?: { Leader?: boolean; Addr?: string };
        }>;
        const leader = nodes.find((n) => n.ManagerStatus?.Leader === true);
        const address = leader?.ManagerStatus?.Addr?.split(':')[0];
        const found = engines.find((e) => e.address === address);
        if (found !== undefined) return found;
      } catch {
        // Not a manager with quorum right now; ask the next one.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('no swarm leader found');
}

/** dockerd with everything under `root` and no host network changes; `root/daemon.json` must exist. */
function dockerdCommand(root: string): string[] {
  return [
    DOCKERD,
    `--config-file=${join(root, 'daemon.json')}`,
    `--host=unix://${join(root, 'docker.sock')}`,
    `--data-root=${join(root, 'data')}`,
    `--exec-root=${join(root, 'exec')}`,
    `--pidfile=${join(root, 'dockerd.pid')}`,
    '--iptables=false',
    '--ip6tables=false',
    '--ip-masq=false',
    '--ip-forward=false',
    '--bridge=none',
    '--exec-opt=native.cgroupdriver=cgroupfs',
    // vfs works on every file system; these engines run few or no containers.
    '--storage-driver=vfs',
  ];
}

/**
 * Init lines (for a `process` plugin instance) that start an engine on the first free one of
 * `hosts` (claimed with mkdir under `dir`), labelled with the swarm flavor's `$TEND_SWARM_LINK`,
 * and point `docker` at it. On SIGTERM (destroy) everything in the host's namespace but its sshd
 * is killed and the host is freed. Run `engineKeepAliveLines` after the join.
 */
export function engineInitLines(hosts: readonly NetnsHost[], dir: string): string[] {
  const claims = join(dir, 'engine-claims');
  const pairs = hosts.map((h) => `${h.name}:${h.netns}`).join(' ');
  // Quoted for the shell: `"$root"/data` and so on.
  const command = dockerdCommand('"$root"').join(' ');
  return [
    'set -u',
    `claims=${claims}; mkdir -p "$claims"; host=`,
    `for h in ${pairs}; do if mkdir "$claims/\${h%%:*}" 2>/dev/null; then host=$h; break; fi; done`,
    '[ -n "$host" ] || { echo "no free test host" >&2; exit 1; }',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
    'name=${host%%:*}; ns=${host#*:}',
    `root=${dir}/$name-w; rm -rf "$root"; mkdir -p "$root"; echo '{}' > "$root/daemon.json"`,
    'cleanup() { for p in $(ip netns pids "$ns"); do [ "$(cat /proc/$p/comm 2>/dev/null)" = sshd ] || kill -9 "$p" 2>/dev/null; done; rm -rf "$root"; rmdir "$claims/$name"; }',
    "trap 'cleanup; exit 0' TERM INT",
    `nsenter --net=/run/netns/$ns unshare --mount --uts --propagation private sh -c 'hostname "$0" && exec "$@"' "$name" ${command} --label "tend.swarm.link=$TEND_SWARM_LINK" >>"$root.log" 2>&1 &`,
    'engine=$!',
    'export DOCKER_HOST="unix://$root/docker.sock"',
  ];
}

/**
 * A `tend apply` spec of one group of swarm nodes on the `process` plugin: each instance starts an
 * engine on a free one of `spare` (engineInitLines), the swarm flavor joins it with `role`
 * through `managers` (Engine API endpoints), and it then lives on as a host would.
 */
export function swarmGroupYaml(o: {
  group: string;
  /** YAML flow mapping: `{ size: 3 }` or `{ logicalIds: [a, b, c] }`. */
  allocation: string;
  role: 'worker' | 'manager';
  managers: readonly string[];
  spare: readonly NetnsHost[];
  dir: string;
  version: string;
}): string {
  const lines = (list: readonly string[]) =>
    list.map((l) => `                  - ${JSON.stringify(l)}`).join('\n');
  return `
groups:
  - id: ${o.group}
    allocation: ${o.allocation}
    instance: { plugin: process }
    flavor:
      plugin: combo
      properties:
        flavors:
          - plugin: vanilla
            properties:
              init:
${lines(engineInitLines(o.spare, o.dir))}
          - plugin: swarm
            properties:
              role: ${o.role}
              managers: [${o.managers.map((m) => JSON.stringify(m)).join(', ')}]
              drainTimeout: 30s
          - plugin: vanilla
            properties:
              init:
${lines([`echo "${o.role} ${o.version}"`, ...engineKeepAliveLines])}
    # grace covers an engine start and join on a loaded machine; heal times printed after an
    # engine kill include whatever is left of it.
    health: { grace: 90s, unhealthyAfter: 2s, maxInFlight: 1 }
    update: { maxSurge: 0, maxUnavailable: 1, healthyFor: 2s, timeout: 10m, onFailure: pause }
`;
}

/** After the join: the instance lives on when its engine dies, as a host would (health says down). */
export const engineKeepAliveLines = [
  'echo "engine $engine on $name running"',
  'wait "$engine"; echo "engine on $name exited"',
  'while :; do sleep 1; done',
];

export async function makeEngine(host: NetnsHost, dir: string): Promise<SwarmEngine> {
  const root = join(dir, `${host.name}-docker`);
  await mkdir(root, { recursive: true });
  // An empty config file of its own, so the machine's /etc/docker/daemon.json does not apply.
  // (The Raft ticks cannot be set here: dockerd 20.10 refuses swarm-raft-election-tick as an
  // unknown directive, and the spec's Raft.ElectionTick is ignored; elections take ~10 s.)
  const config = join(root, 'daemon.json');
  await writeFile(config, '{}');
  const socketPath = join(root, 'docker.sock');
  const docker = new Docker({ socketPath, timeout: 30_000 });
  let child: ChildProcess | undefined;
  let id: string | undefined;
  const pid = () => (child?.pid !== undefined && isAlive(child.pid) ? child.pid : undefined);
  const dockerd = dockerdCommand(root);
  return {
    name: host.name,
    address: host.address,
    host,
    socketPath,
    docker,
    pid,
    nodeId: async () => {
      id ??= ((await docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
      return id;
    },
    start: async () => {
      if (pid() !== undefined) return;
      const log = openSync(join(root, 'dockerd.log'), 'a');
      // nsenter and unshare exec (no fork), and so does sh: the child's PID is dockerd's.
      child = spawn(
        'nsenter',
        [
          `--net=/run/netns/${host.netns}`,
          'unshare',
          '--mount',
          '--uts',
          '--propagation',
          'private',
          'sh',
          '-c',
          `hostname ${host.name} && exec "$@"`,
          'sh',
          ...dockerd,
        ],
        { stdio: ['ignore', log, log], detached: true },
      );
      child.unref();
      const started = child;
      for (let i = 0; i < 600; i++) {
        if (started.exitCode !== null || !isAlive(started.pid ?? 0)) {
          throw new Error(`dockerd on ${host.name} exited early; see ${join(root, 'dockerd.log')}`);
        }
        try {
          await new Docker({ socketPath, timeout: 2_000 }).ping();
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      throw new Error(`dockerd on ${host.name} did not answer on ${socketPath}`);
    },
    kill: async () => {
      const main = pid();
      killHostProcesses(host);
      if (main !== undefined) {
        for (let i = 0; i < 400 && isAlive(main); i++) await new Promise((r) => setTimeout(r, 25));
      }
      child = undefined;
    },
  };
}

/** SIGKILL to every process in the host's namespace but its sshd listener: a host crash, minus sshd. */
export function killHostProcesses(host: NetnsHost): void {
  const sshd = host.sshdPid();
  for (const p of netnsPids(host.netns)) {
    if (p === sshd) continue;
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Every process in the namespace, except the sshd listener's sessions are included too. */
function netnsPids(netns: string): number[] {
  try {
    return execFileSync('/usr/sbin/ip', ['netns', 'pids', netns], { encoding: 'utf8', timeout: 10_000 })
      .split('\n')
      .map(Number)
      .filter((p) => Number.isInteger(p) && p > 0);
  } catch {
    return [];
  }
}

/**
 * One `tend up --leadership swarm --store swarm` beside each engine (talking to it alone), as
 * InfraKit ran one beside each swarm manager; they share only `dir` (admin token) and the
 * process plugin's `stateDir`. Each is pushed onto `managers` (for the workspace's cleanup).
 */
export async function startTendBeside(
  swarm: TestSwarm,
  workspace: { dir: string; stateDir: string; managers: ManagerProcess[] },
  tickIntervalMs: number,
): Promise<Map<SwarmEngine, ManagerProcess>> {
  const beside = new Map<SwarmEngine, ManagerProcess>();
  for (const engine of swarm.engines) {
    const manager = await ManagerProcess.start({
      name: `tend-${engine.name}`,
      dir: workspace.dir,
      stateDir: workspace.stateDir,
      store: 'swarm',
      leadership: 'swarm',
      dockerSocket: engine.socketPath,
      tickIntervalMs,
    });
    workspace.managers.push(manager);
    beside.set(engine, manager);
  }
  return beside;
}

/** The Raft leader once it is not `killed` (right after a kill a follower may still name it). */
export async function leaderOtherThan(swarm: TestSwarm, killed: SwarmEngine): Promise<SwarmEngine> {
  for (;;) {
    const leader = await swarm.leader();
    if (leader !== killed) return leader;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until `engine` is back in the swarm as a ready, reachable manager (asked of `via`). */
export async function rejoined(engine: SwarmEngine, via: SwarmEngine): Promise<void> {
  const id = await engine.nodeId();
  await eventually(
    `${engine.name} to rejoin the swarm as a reachable manager`,
    async () => {
      const node = (await via.docker.getNode(id).inspect()) as {
        Status?: { State?: string };
        ManagerStatus?: { Reachability?: string };
      };
      return node.Status?.State === 'ready' && node.ManagerStatus?.Reachability === 'reachable'
        ? true
        : undefined;
    },
    { attempts: 1200, intervalMs: 250 },
  );
}
