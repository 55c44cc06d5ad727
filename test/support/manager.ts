// Runs Tend managers as real child processes (`tend up`) for e2e tests and benches, finds the
// `process` plugin's instances through its state dir, and cleans both up by PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerClient } from '../../src/manager/index.js';

const root = new URL('../..', import.meta.url).pathname;
export const cliEntry = join(root, 'src/cli/main.ts');
/**
 * What an operator runs: the compiled build when it is up to date with the sources (after `npm
 * run build`), else the sources through tsx, which compiles each module on its first use.
 */
const launcher = join(root, 'bin/tend.js');

export interface ManagerProcessOptions {
  name: string;
  /** Holds this manager's log (`<name>.log`); shared dirs below default to subfolders of it. */
  dir: string;
  stateDir: string;
  storeDir?: string;
  pluginDir?: string;
  store?: 'file' | 'etcd';
  leadership?: 'static' | 'file' | 'etcd';
  leaderFile?: string;
  etcdEndpoints?: readonly string[];
  etcdPrefix?: string;
  leaseTtlSeconds?: number;
  tickIntervalMs?: number;
  extraArgs?: readonly string[];
  /** Flags for node itself, before the entry (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /**
   * A token to use instead of `dir`'s admin.token: a manager joining a shared token set (etcd)
   * that already has tokens makes no admin token of its own.
   */
  token?: string;
  /** Called with the child's PID as soon as it is spawned, before it listens (crash tests). */
  onSpawn?: (pid: number) => void;
}

function readAdminToken(dir: string): string | undefined {
  try {
    const token = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

/** A `tend up` child process. Its stdout is kept in `lines`; its stderr goes to a log file. */
export class ManagerProcess {
  readonly name: string;
  readonly url: string;
  /** The admin token the first `tend up` in `dir` created (its TEND_HOME is `dir`). */
  readonly token: string;
  readonly client: ManagerClient;
  readonly lines: string[];
  readonly logFile: string;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  private constructor(fields: {
    name: string;
    url: string;
    token: string;
    lines: string[];
    logFile: string;
    child: ChildProcess;
    exited: Promise<number | null>;
  }) {
    this.name = fields.name;
    this.url = fields.url;
    this.token = fields.token;
    this.client = new ManagerClient({ url: fields.url, token: fields.token });
    this.lines = fields.lines;
    this.logFile = fields.logFile;
    this.child = fields.child;
    this.exited = fields.exited;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  static async start(options: ManagerProcessOptions): Promise<ManagerProcess> {
    const logFile = join(options.dir, `${options.name}.log`);
    const log = openSync(logFile, 'a');
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), launcher, 'up', ...upArgs(options)], {
      cwd: root,
      stdio: ['ignore', 'pipe', log],
      env: {
        ...process.env,
        TEND_LOG_LEVEL: process.env.TEND_LOG_LEVEL ?? 'info',
        TEND_MANAGER: '',
        TEND_TOKEN: '',
        TEND_HOME: options.dir,
        ...options.env,
      },
    });
    closeSync(log);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const lines: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      const reader = createInterface({ input: child.stdout ?? process.stdin });
      reader.on('line', (line) => {
        lines.push(line);
        const match = /API on (https?:\/\/\S+)/.exec(line);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      exited.then(
        (code) =>
          reject(new Error(`manager ${options.name} exited (${code}) before listening; see ${logFile}`)),
        reject,
      );
    });
    // Managers sharing `dir` share the token: whichever started first wrote it.
    const token =
      options.token ??
      (await eventually('the admin token file', () => readAdminToken(options.dir), { attempts: 300 }));
    return new ManagerProcess({ name: options.name, url, token, lines, logFile, child, exited });
  }

  /** Sends a signal (SIGKILL for a crash, SIGSTOP/SIGCONT for a freeze). */
  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Safe to call twice. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGCONT');
    this.child.kill('SIGTERM');
    // Unref'd: a manager that exits at once must not keep the test process alive for the grace.
    const timeout = sleep(graceMs, 'timeout' as const, { ref: false });
    if ((await Promise.race([this.exited, timeout])) === 'timeout') this.child.kill('SIGKILL');
    await this.exited;
  }

  async isLeader(): Promise<boolean> {
    try {
      return (await this.client.leader()).self.role === 'leader';
    } catch {
      return false;
    }
  }
}

function upArgs(o: ManagerProcessOptions): string[] {
  const args = ['--name', o.name, '--listen', '127.0.0.1:0', '--no-spec', '--state-dir', o.stateDir];
  args.push('--store', o.store ?? 'file', '--store-dir', o.storeDir ?? join(o.dir, 'store'));
  args.push('--plugin-dir', o.pluginDir ?? join(o.dir, `plugins-${o.name}`));
  args.push('--leadership', o.leadership ?? 'static');
  if (o.leaderFile !== undefined) args.push('--leader-file', o.leaderFile);
  if (o.etcdEndpoints !== undefined) args.push('--etcd-endpoints', o.etcdEndpoints.join(','));
  if (o.etcdPrefix !== undefined) args.push('--etcd-prefix', o.etcdPrefix);
  if (o.leaseTtlSeconds !== undefined) args.push('--lease-ttl', String(o.leaseTtlSeconds));
  if (o.tickIntervalMs !== undefined) args.push('--tick-interval', String(o.tickIntervalMs));
  args.push(...(o.extraArgs ?? []));
  return args;
}

export interface LiveInstance {
  id: string;
  pid: number;
  tags: Record<string, string>;
}

/**
 * The `process` plugin's instances that are really alive, read straight from its state dir (not
 * through a manager), optionally only those carrying `tend.group=<group>`.
 */
export function liveInstances(stateDir: string, group?: string): LiveInstance[] {
  const found: LiveInstance[] = [];
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch {
    return [];
  }
  for (const name of names) {
    if (!/^proc-[0-9a-f]+\.json$/.test(name)) continue;
    let state: { id: string; pid: number; tags: Record<string, string> };
    try {
      state = JSON.parse(readFileSync(join(stateDir, name), 'utf8'));
    } catch {
      continue; // being written or removed right now
    }
    if (group !== undefined && state.tags['tend.group'] !== group) continue;
    if (isAlive(state.pid)) found.push({ id: state.id, pid: state.pid, tags: state.tags });
  }
  return found;
}

/** Alive and not a zombie (a killed child its parent has not reaped yet is gone for our purposes). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * SIGKILL for a crash point that fires on its own timer: the process may already be gone (the
 * round ended, or it exited by itself), which is not the test's failure.
 */
export function killIfAlive(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** SIGKILLs every instance in the state dir (each runs in its own process group). */
export function killAllInstances(stateDir: string): void {
  for (const instance of liveInstances(stateDir)) {
    try {
      process.kill(-instance.pid, 'SIGKILL');
    } catch {
      try {
        process.kill(instance.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** A temp dir with a cleanup that also stops managers and kills instances left in `stateDir`. */
export async function e2eWorkspace(prefix: string): Promise<{
  dir: string;
  stateDir: string;
  managers: ManagerProcess[];
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), `tend-${prefix}-`));
  const stateDir = join(dir, 'instances');
  const managers: ManagerProcess[] = [];
  return {
    dir,
    stateDir,
    managers,
    cleanup: async () => {
      await Promise.all(managers.map((m) => m.stop()));
      killAllInstances(stateDir);
      if (process.env.TEND_KEEP_E2E !== '1') await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value other than undefined; a hang guard, not a timing assertion. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: { attempts?: number; intervalMs?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 1200;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(options.intervalMs ?? 100);
  }
  throw new Error(`gave up waiting for ${what}${lastError === undefined ? '' : `: ${String(lastError)}`}`);
}

/** Runs the CLI to completion; returns its exit code and output. */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
