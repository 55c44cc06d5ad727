// Starts real etcd members (Debian's /usr/bin/etcd) on free loopback ports for tests and benches,
// each with its own data dir in one temp dir, and stops them by PID — also when a test fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ensemble.js';

export const etcdBinary = process.env.TEND_ETCD_BIN ?? '/usr/bin/etcd';

export function etcdAvailable(): boolean {
  return existsSync(etcdBinary);
}

/**
 * node:test's `skip` option for tests needing etcd: a reason when etcd is missing on a developer's
 * box; in CI (CI=true) never — there the test runs and fails loudly, since CI must install etcd.
 */
export function etcdSkip(): string | false {
  if (etcdAvailable() || process.env.CI === 'true') return false;
  return `needs etcd: ${etcdBinary} not found (apt-get install etcd-server)`;
}

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  logFile: string;
  pid: number | undefined;
}

export interface EtcdCluster {
  /** Client URLs of all members, for `endpoints`. */
  endpoints: string[];
  members: EtcdMember[];
  /** SIGKILL one member (a crash). */
  kill(member: number): Promise<void>;
  /** Start a stopped or killed member again on its data dir and wait until the cluster is healthy. */
  restart(member: number): Promise<void>;
  /** SIGSTOP / SIGCONT one member (a frozen process). */
  pause(member: number): void;
  resume(member: number): void;
  /** Stop every member by PID and remove the data dirs. Safe to call twice. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// Last resort when the test process exits without calling stop(): never leave etcd behind.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await response.json()) as { health?: unknown };
    return body.health === 'true';
  } catch {
    return false;
  }
}

async function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([
    new Promise<boolean>((resolve) => child.once('exit', () => resolve(true))),
    // Unref'd: a pending grace timer must not hold the test process open after etcd has exited.
    sleep(ms, false, { ref: false }),
  ]);
}

export async function startEtcdCluster(options: { members: 1 | 3 }): Promise<EtcdCluster> {
  if (!etcdAvailable()) throw new Error(`cannot start etcd: ${etcdBinary} not found`);
  const root = await mkdtemp(join(tmpdir(), 'tend-etcd-'));
  const members: EtcdMember[] = [];
  for (let i = 0; i < options.members; i++) {
    const [client, peer] = [await freePort(), await freePort()];
    members.push({
      name: `m${i}`,
      clientUrl: `http://127.0.0.1:${client}`,
      peerUrl: `http://127.0.0.1:${peer}`,
      dataDir: join(root, `m${i}`),
      logFile: join(root, `m${i}.log`),
      pid: undefined,
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const token = `tend-${process.pid}-${Date.now()}`;
  const children: Array<ChildProcess | undefined> = members.map(() => undefined);

  const launch = (index: number): void => {
    const m = members[index];
    if (m === undefined) throw new Error(`no etcd member ${index}`);
    const log = openSync(m.logFile, 'a');
    const child = spawn(
      etcdBinary,
      [
        `--name=${m.name}`,
        `--data-dir=${m.dataDir}`,
        `--listen-client-urls=${m.clientUrl}`,
        `--advertise-client-urls=${m.clientUrl}`,
        `--listen-peer-urls=${m.peerUrl}`,
        `--initial-advertise-peer-urls=${m.peerUrl}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-token=${token}`,
        '--initial-cluster-state=new',
        '--heartbeat-interval=100',
        '--election-timeout=1000',
        '--logger=zap',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    running.add(child);
    child.once('exit', () => running.delete(child));
    children[index] = child;
    m.pid = child.pid;
  };

  const waitHealthy = async (): Promise<void> => {
    for (let attempt = 0; attempt < 600; attempt++) {
      const alive = members.filter((_, i) => {
        const child = children[i];
        return child !== undefined && child.exitCode === null && child.signalCode === null;
      });
      if (alive.length === 0) break;
      const states = await Promise.all(alive.map((m) => healthy(m.clientUrl)));
      if (states.every(Boolean)) return;
      await sleep(100);
    }
    throw new Error(`etcd did not become healthy; logs in ${root}`);
  };

  const stopMember = async (index: number, signal: NodeJS.Signals): Promise<void> => {
    const child = children[index];
    if (child === undefined) return;
    children[index] = undefined;
    if (child.signalCode === null && child.exitCode === null) {
      child.kill('SIGCONT');
      child.kill(signal);
      if (!(await exited(child, 10_000))) {
        child.kill('SIGKILL');
        await exited(child, 10_000);
      }
    }
    const member = members[index];
    if (member !== undefined) member.pid = undefined;
  };

  let stopped = false;
  const cluster: EtcdCluster = {
    endpoints: members.map((m) => m.clientUrl),
    members,
    kill: (member) => stopMember(member, 'SIGKILL'),
    restart: async (member) => {
      await stopMember(member, 'SIGTERM');
      launch(member);
      await waitHealthy();
    },
    pause: (member) => {
      children[member]?.kill('SIGSTOP');
    },
    resume: (member) => {
      children[member]?.kill('SIGCONT');
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await Promise.all(members.map((_, i) => stopMember(i, 'SIGTERM')));
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    for (let i = 0; i < members.length; i++) launch(i);
    await waitHealthy();
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    throw error;
  }
  return cluster;
}
