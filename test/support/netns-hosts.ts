// Real hosts for tests: each one a network namespace with its own address on a private bridge,
// running Debian's sshd with its own host key and a client key made for the run. A test can cut
// a host off (link down inside its namespace), bring it back, stop and start its sshd. Traffic
// only ever targets addresses inside these namespaces; everything made is removed by name and
// PID, also when the test fails or the process exits early, and leftovers of a killed run are
// swept by the next one (names carry the owner's PID).
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isAlive } from './manager.js';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';
const IP = '/usr/sbin/ip';
/** Netns names are `tend-nh-<pid>-<run>-<host>`; bridges `tnb<run>` with alias `tend-nh-<pid>`. */
const NETNS_PREFIX = 'tend-nh-';
const SUBNET_BASE = '10.213';

export interface NetnsHost {
  /** `h1`, `h2`…: also the test's name for the host in a pool. */
  name: string;
  address: string;
  port: number;
  /** Network namespace the host lives in. */
  netns: string;
  /**
   * A directory that is this host's own disk: all hosts share the machine's file system, so
   * per-host state (the plugin's state dir, what an Init script writes) goes under here. sshd
   * exports it to every session as `$NETNS_HOST_ROOT`.
   */
  root: string;
  /** Link down inside the namespace: packets to and from the host are dropped, nothing refuses. */
  cutOff(): Promise<void>;
  bringBack(): Promise<void>;
  /** SIGKILL to the listening sshd (sessions already open are left to end by themselves). */
  stopSshd(): Promise<void>;
  startSshd(): Promise<void>;
  sshdPid(): number | undefined;
}

export interface NetnsHosts {
  hosts: NetnsHost[];
  /** The run's private directory (keys, configs, logs). */
  dir: string;
  user: string;
  /** Private key every host authorizes (ed25519, no passphrase). */
  clientKeyPath: string;
  /** OpenSSH known_hosts naming each host's address and its host key. */
  knownHostsPath: string;
  /** Removes every namespace, sshd, bridge and file this run made. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Why netns host tests cannot run here, or undefined when they can. Missing root, sshd or ip is
 * a skip with a printed reason on a developer's box and an error with CI=true.
 */
export function netnsSkipReason(): string | undefined {
  let reason: string | undefined;
  if (process.getuid?.() !== 0) reason = 'network namespaces need root';
  else if (!existsSync(SSHD)) reason = `${SSHD} missing (apt-get install openssh-server)`;
  else if (!existsSync(IP)) reason = `${IP} missing (apt-get install iproute2)`;
  if (reason === undefined) return undefined;
  if (process.env.CI === 'true') throw new Error(`CI=true, so not skipping: ${reason}`);
  process.stderr.write(`skipping netns host tests: ${reason}\n`);
  return reason;
}

/** Makes `count` hosts on one fresh bridge and starts their sshd. */
export async function startNetnsHosts(options: { count: number }): Promise<NetnsHosts> {
  sweepLeftovers();
  const runId = randomBytes(3).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), `tend-netns-${runId}-`));
  const made: Made = { netns: [], bridge: undefined, dir, pids: new Map() };
  const exitGuard = () => removeSync(made);
  process.once('exit', exitGuard);
  try {
    const subnet = await freeSubnet();
    const bridge = `tnb${runId}`;
    await ip('link', 'add', bridge, 'type', 'bridge');
    made.bridge = bridge;
    await ip('link', 'set', 'dev', bridge, 'alias', `${NETNS_PREFIX}${process.pid}`);
    await ip('addr', 'add', `${subnet}.254/24`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    const clientKeyPath = join(dir, 'client_key');
    await keygen(clientKeyPath);
    const authorized = join(dir, 'authorized_keys');
    await writeFile(authorized, await readFile(`${clientKeyPath}.pub`), { mode: 0o600 });
    // Debian's sshd refuses to start without its privilege separation directory.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const hosts: NetnsHost[] = [];
    const knownHosts: string[] = [];
    for (let i = 1; i <= options.count; i++) {
      const host = await makeHost({ made, runId, index: i, subnet, bridge, dir, authorized });
      hosts.push(host);
      const hostKey = (await readFile(join(host.root, '..', `${host.name}-host_key.pub`), 'utf8')).trim();
      knownHosts.push(`${host.address} ${hostKey.split(' ').slice(0, 2).join(' ')}`);
    }
    const knownHostsPath = join(dir, 'known_hosts');
    await writeFile(knownHostsPath, `${knownHosts.join('\n')}\n`);
    await Promise.all(hosts.map((h) => h.startSshd()));
    let closed = false;
    return {
      hosts,
      dir,
      user: 'root',
      clientKeyPath,
      knownHostsPath,
      close: async () => {
        if (closed) return;
        closed = true;
        removeSync(made);
        process.removeListener('exit', exitGuard);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    removeSync(made);
    process.removeListener('exit', exitGuard);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

interface Made {
  netns: string[];
  bridge: string | undefined;
  dir: string;
  /** sshd listener PIDs by netns. */
  pids: Map<string, number>;
}

interface HostPlan {
  made: Made;
  runId: string;
  index: number;
  subnet: string;
  bridge: string;
  dir: string;
  authorized: string;
}

async function makeHost(plan: HostPlan): Promise<NetnsHost> {
  const { made, runId, index, subnet, bridge, dir } = plan;
  const name = `h${index}`;
  const netns = `${NETNS_PREFIX}${process.pid}-${runId}-${name}`;
  const address = `${subnet}.${index}`;
  await ip('netns', 'add', netns);
  made.netns.push(netns);
  // Root end on the bridge; the other end moves into the namespace and becomes its eth0.
  const outer = `tnv${runId}${index}`;
  await ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', `${outer}p`);
  await ip('link', 'set', outer, 'master', bridge);
  await ip('link', 'set', outer, 'up');
  await ip('link', 'set', `${outer}p`, 'netns', netns);
  await ip('-n', netns, 'link', 'set', `${outer}p`, 'name', 'eth0');
  await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
  await ip('-n', netns, 'link', 'set', 'eth0', 'up');
  await ip('-n', netns, 'link', 'set', 'lo', 'up');
  const root = join(dir, name);
  await mkdir(root);
  const hostKey = join(dir, `${name}-host_key`);
  await keygen(hostKey);
  const pidFile = join(dir, `${name}-sshd.pid`);
  const config = join(dir, `${name}-sshd_config`);
  await writeFile(config, sshdConfig({ address, hostKey, pidFile, authorized: plan.authorized, root, name }));
  const readPid = (): number | undefined => {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    name,
    address,
    port: 22,
    netns,
    root,
    cutOff: () => ip('-n', netns, 'link', 'set', 'eth0', 'down'),
    bringBack: () => ip('-n', netns, 'link', 'set', 'eth0', 'up'),
    sshdPid: readPid,
    stopSshd: async () => {
      const pid = readPid();
      if (pid === undefined) return;
      process.kill(pid, 'SIGKILL');
      made.pids.delete(netns);
      await rm(pidFile, { force: true });
      await waitFor(() => !isAlive(pid), `sshd ${pid} of ${name} to exit`);
    },
    startSshd: async () => {
      if (readPid() !== undefined) return;
      // Without -D sshd forks into the background once it listens and writes its PidFile, so
      // "started" means "accepting connections".
      await run(IP, ['netns', 'exec', netns, SSHD, '-f', config, '-E', join(dir, `${name}-sshd.log`)], {
        timeout: 15_000,
      });
      const pid = await waitFor(readPid, `sshd of ${name} to write its PidFile`);
      made.pids.set(netns, pid);
    },
  };
}

function sshdConfig(o: {
  address: string;
  hostKey: string;
  pidFile: string;
  authorized: string;
  root: string;
  name: string;
}): string {
  return [
    `ListenAddress ${o.address}:22`,
    `HostKey ${o.hostKey}`,
    `PidFile ${o.pidFile}`,
    `AuthorizedKeysFile ${o.authorized}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // Temp dirs sit under world-writable /tmp, which strict mode rejects for key files.
    'StrictModes no',
    'PrintMotd no',
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    'LogLevel ERROR',
    // HOME is the host's own root too: bash run by sshd sources ~/.bashrc even for `ssh host cmd`,
    // and the machine's root profile (pyenv init, …) can take a minute under load.
    `SetEnv NETNS_HOST_ROOT=${o.root} NETNS_HOST_NAME=${o.name} HOME=${o.root}`,
    '',
  ].join('\n');
}

/** A 10.213.x.0/24 no interface on this machine uses (parallel runs pick different ones). */
async function freeSubnet(): Promise<string> {
  const { stdout } = await run(IP, ['-o', 'addr', 'show']);
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = `${SUBNET_BASE}.${1 + Math.floor(Math.random() * 250)}`;
    if (!stdout.includes(` ${candidate}.`)) return candidate;
  }
  throw new Error(`no free ${SUBNET_BASE}.x.0/24 subnet found`);
}

async function keygen(path: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tend-test', '-f', path]);
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run(IP, args, { timeout: 15_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`ip ${args.join(' ')} failed: ${stderr.trim() || String(error)}`);
  }
}

async function waitFor<T>(probe: () => T | undefined | false, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Synchronous so it also runs from an `exit` handler: sshd by PID, then namespaces, then bridge. */
function removeSync(made: Made): void {
  for (const netns of made.netns) killNetnsProcesses(netns);
  for (const netns of made.netns.splice(0)) quietIp(['netns', 'del', netns]);
  if (made.bridge !== undefined) quietIp(['link', 'del', made.bridge]);
  made.bridge = undefined;
  made.pids.clear();
}

/** Every process still inside the namespace (sshd and its sessions), by PID. */
function killNetnsProcesses(netns: string): void {
  let pids: number[] = [];
  try {
    pids = execFileSync(IP, ['netns', 'pids', netns], { encoding: 'utf8', timeout: 10_000 })
      .split('\n')
      .map(Number)
      .filter((p) => Number.isInteger(p) && p > 0);
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function quietIp(args: string[]): void {
  try {
    execFileSync(IP, args, { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // Already removed.
  }
}

/** Namespaces and bridges of runs whose process is dead (a kill -9'd test run). */
function sweepLeftovers(): void {
  const owner = (name: string) => Number(name.slice(NETNS_PREFIX.length).split('-')[0]);
  let list = '';
  try {
    list = execFileSync(IP, ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 });
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (!name.startsWith(NETNS_PREFIX) || isAlive(owner(name))) continue;
    killNetnsProcesses(name);
    quietIp(['netns', 'del', name]);
  }
  const links = execFileSync(IP, ['-o', 'link', 'show', 'type', 'bridge'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  for (const line of links.split('\n')) {
    const bridge = /^\d+: (tnb[0-9a-f]+):/.exec(line)?.[1];
    const alias = / alias (\S+)/.exec(line)?.[1];
    if (bridge === undefined || alias?.startsWith(NETNS_PREFIX) !== true) continue;
    if (!isAlive(owner(alias))) quietIp(['link', 'del', bridge]);
  }
}
