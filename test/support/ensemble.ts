// Runs ensemble members the way the process plugin would — each flavor-prepared init under
// `sh -c`, detached in a process group of its own — and kills them by PID, also when a test fails.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Ports this process has handed out: a port closed after probing may be offered again at once. */
const handedOut = new Set<number>();

/**
 * A loopback port nobody listens on, never the same one twice in this process: members of one
 * ensemble take several ports in a row, and the kernel may offer a just-closed port again.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await probePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<number>();
// Last resort when the test process exits without its cleanup: never leave servers behind.
process.on('exit', () => {
  for (const pid of running) killGroup(pid, 'SIGKILL');
});

export interface RunningInit {
  pid: number;
  child: ChildProcess;
}

/** Starts `init` with `sh -c`, output appended to `logFile`. */
export function startInit(init: string, logFile: string, env: NodeJS.ProcessEnv = {}): RunningInit {
  const log = openSync(logFile, 'a');
  try {
    const child = spawn('/bin/sh', ['-c', init], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...env },
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start sh for ${logFile}`);
    running.add(pid);
    child.once('exit', () => running.delete(pid));
    return { pid, child };
  } finally {
    closeSync(log);
  }
}

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGKILLs the process group and waits until its leader has exited (reaped by our child handle). */
export async function killAndWait(run: RunningInit): Promise<void> {
  const { child } = run;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(run.pid, 'SIGKILL');
    await exited;
  }
  running.delete(run.pid);
}

/**
 * Polls `check` until it returns true. The limit is a hang guard for a loaded CI machine, not a
 * timing assertion: the error names what never happened.
 */
export async function waitFor(what: string, check: () => Promise<boolean>, limitMs = 120_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await sleep(200);
  }
  const cause = last instanceof Error ? `; last error: ${last.message}` : '';
  throw new Error(`gave up waiting for ${what} after ${limitMs} ms${cause}`);
}

/** Runs a command with a bounded time; resolves with its stdout, rejects with stderr in the message. */
export function run(file: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
