// The two worlds a campaign seed runs in: one manager on a file store with static leadership, or
// two managers on a real etcd (store and leadership). Managers are real `tend up` processes; a
// hostile remote plugin process listens in every manager's plugin dir. Everything is stopped and
// every instance of the run killed by PID at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ManagerClient } from '../../src/api/index.js';
import { type EtcdCluster, startEtcdCluster } from '../support/etcd.js';
import { ManagerProcess, type ManagerProcessOptions } from '../support/manager.js';
import type { HostileMode } from './hostile-plugin.js';
import { killRun } from './world.js';

export type SetupKind = 'file' | 'etcd';

const root = new URL('../..', import.meta.url).pathname;

/** One manager's place: it may be running, killed (down) or frozen (SIGSTOP). */
export interface ManagerSlot {
  name: string;
  process: ManagerProcess | undefined;
  state: 'up' | 'down' | 'stopped';
  /** Wall-clock ms of the last start, so status probes can tell a booting manager from a slow one. */
  startedAt: number;
}

export interface Setup {
  kind: SetupKind;
  runId: string;
  dir: string;
  stateDir: string;
  hostileStateDir: string;
  /** The file store's directory (file setup only). */
  storeDir: string | undefined;
  slots: ManagerSlot[];
  leaseTtlSeconds: number;
  /** A trivial HTTP server in its own process: the yardstick for a starved machine. */
  controlUrl: string;
  /** The etcd cluster (etcd setup only); shared by every seed of a campaign run. */
  etcd: EtcdCluster | undefined;
  setHostileMode(mode: HostileMode): void;
  start(slot: ManagerSlot): Promise<void>;
  /** A client of the current leader; undefined while there is none. */
  leader(): Promise<{ slot: ManagerSlot; client: ManagerClient } | undefined>;
  stop(): Promise<void>;
}

async function startHostile(stateDir: string, modeFile: string, sockets: string[]): Promise<ChildProcess> {
  const args = ['--import', 'tsx', join(root, 'test/faults/hostile-plugin.ts'), '--state-dir', stateDir];
  args.push('--mode-file', modeFile, ...sockets.flatMap((s) => ['--socket', s]));
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const reader = createInterface({ input: child.stdout ?? process.stdin });
    reader.on('line', (line) => {
      if (line.includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`hostile plugin exited (${code}) before listening`)));
  });
  return child;
}

const controlScript = `require('node:http').createServer((q, s) => s.end('{}'))
  .listen(0, '127.0.0.1', function () { console.log('port ' + this.address().port); });`;

async function startControl(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-e', controlScript], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    const reader = createInterface({ input: child.stdout ?? process.stdin });
    reader.on('line', (line) => {
      const port = /^port (\d+)$/.exec(line)?.[1];
      if (port !== undefined) resolve(`http://127.0.0.1:${port}/`);
    });
    child.once('exit', (code) => reject(new Error(`control server exited (${code})`)));
  });
  return { child, url };
}

export interface SetupOptions {
  kind: SetupKind;
  /** For the etcd setup: a running cluster to share (a prefix per seed keeps seeds apart). */
  etcd?: EtcdCluster;
  tickIntervalMs?: number;
}

export async function createSetup(options: SetupOptions): Promise<Setup> {
  const runId = randomBytes(6).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), `tend-faults-${options.kind}-`));
  const stateDir = join(dir, 'instances');
  const hostileStateDir = join(dir, 'hostile-instances');
  const modeFile = join(dir, 'hostile-mode');
  const names = options.kind === 'file' ? ['solo'] : ['m1', 'm2'];
  const leaseTtlSeconds = 2;
  const etcd =
    options.kind === 'etcd' ? (options.etcd ?? (await startEtcdCluster({ members: 1 }))) : undefined;
  const ownEtcd = options.kind === 'etcd' && options.etcd === undefined;
  const prefix = `tend-faults-${runId}/`;
  const pluginDir = (name: string) => join(dir, `plugins-${name}`);
  for (const name of names) mkdirSync(pluginDir(name), { recursive: true, mode: 0o700 });
  writeFileSync(modeFile, 'honest');
  const control = await startControl();
  const hostile = await startHostile(
    hostileStateDir,
    modeFile,
    names.map((n) => join(pluginDir(n), 'hostile')),
  );
  const base: Omit<ManagerProcessOptions, 'name'> = {
    dir,
    stateDir,
    tickIntervalMs: options.tickIntervalMs ?? 100,
    leaseTtlSeconds,
    ...(etcd === undefined
      ? { store: 'file', leadership: 'static', storeDir: join(dir, 'store') }
      : { store: 'etcd', leadership: 'etcd', etcdEndpoints: etcd.endpoints, etcdPrefix: prefix }),
  };
  const slots: ManagerSlot[] = names.map((name) => ({
    name,
    process: undefined,
    state: 'down',
    startedAt: 0,
  }));
  const setup: Setup = {
    kind: options.kind,
    runId,
    dir,
    stateDir,
    hostileStateDir,
    storeDir: etcd === undefined ? join(dir, 'store') : undefined,
    slots,
    leaseTtlSeconds,
    etcd,
    controlUrl: control.url,
    setHostileMode: (mode) => writeFileSync(modeFile, mode),
    start: async (slot) => {
      slot.startedAt = Date.now();
      slot.process = await ManagerProcess.start({
        ...base,
        name: slot.name,
        pluginDir: pluginDir(slot.name),
      });
      slot.state = 'up';
    },
    leader: async () => {
      for (const slot of slots) {
        if (slot.state !== 'up' || slot.process === undefined) continue;
        if (await slot.process.isLeader()) return { slot, client: slot.process.client };
      }
      return undefined;
    },
    stop: async () => {
      await Promise.all(slots.map((s) => s.process?.stop(5000)));
      hostile.kill('SIGKILL');
      control.child.kill('SIGKILL');
      killRun(runId);
      if (ownEtcd) await etcd?.stop();
      if (process.env.TEND_KEEP_E2E !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // The first manager creates the admin token the others (sharing `dir`) then read.
    const [first, ...rest] = slots;
    if (first !== undefined) await setup.start(first);
    await Promise.all(rest.map((slot) => setup.start(slot)));
  } catch (error) {
    await setup.stop();
    throw error;
  }
  return setup;
}
