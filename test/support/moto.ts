// Starts a real moto_server (moto 5, Python) on a free loopback port as the EC2 API for tests,
// resets it between tests, and stops it by PID — also when a test fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EC2Client } from '@aws-sdk/client-ec2';
import { freePort } from './ensemble.js';

export const MOTO_REGION = 'us-east-1';
/**
 * Dummy credentials: moto accepts any. A recognisable secret, so tests can check it never shows
 * up in Tend's store, logs, events or API answers.
 */
export const MOTO_ACCESS_KEY = 'AKIATENDTESTDUMMYKEY';
export const MOTO_SECRET_KEY = 'tend-test-secret-never-to-be-seen-0123456789';

export function motoBinary(): string | undefined {
  const explicit = process.env.TEND_MOTO_BIN;
  if (explicit !== undefined && explicit !== '') return explicit;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'moto_server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** node:test's `skip`: a reason when moto_server is missing on a developer's box; never in CI. */
export function motoSkip(): string | false {
  if (motoBinary() !== undefined || process.env.CI === 'true') return false;
  return 'needs moto_server on PATH (pip install "moto[server]>=5")';
}

export interface MotoServer {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  pid: number | undefined;
  logFile: string;
  /** A client with the dummy credentials, for the test's own look at EC2 (not through Tend). */
  client: EC2Client;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Environment for a child (`tend up`) that should reach this moto through the SDK's chain. */
  env(): NodeJS.ProcessEnv;
  /** Stops moto by PID and removes its log dir. Safe to call twice. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// Last resort when the test process exits without calling stop(): never leave moto behind.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status < 500;
  } catch {
    return false;
  }
}

/** A client for `endpoint` with the dummy credentials given explicitly (a config object). */
export function motoClient(endpoint: string): EC2Client {
  return new EC2Client({
    region: MOTO_REGION,
    endpoint,
    credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
    maxAttempts: 1,
  });
}

export async function startMoto(): Promise<MotoServer> {
  const binary = motoBinary();
  if (binary === undefined) throw new Error('cannot start moto: moto_server is not on PATH');
  const dir = await mkdtemp(join(tmpdir(), 'tend-moto-'));
  const logFile = join(dir, 'moto.log');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const log = openSync(logFile, 'a');
  // moto_server may be a pyenv shim: it execs python, so the PID stays the server's.
  const child = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', log, log],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  closeSync(log);
  running.add(child);
  child.once('exit', () => running.delete(child));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  let up = false;
  for (let attempt = 0; attempt < 600 && !gone(); attempt++) {
    if (await answers(endpoint)) {
      up = true;
      break;
    }
    await sleep(100);
  }
  const client = motoClient(endpoint);
  const stop = async (): Promise<void> => {
    client.destroy();
    if (!gone()) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = sleep(5_000, 'late' as const, { ref: false });
      if ((await Promise.race([exited.then(() => 'ok' as const), timer])) === 'late') {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  if (!up) {
    await stop();
    throw new Error(`moto_server did not answer on ${endpoint} (log was ${logFile})`);
  }
  return {
    endpoint,
    pid: child.pid,
    logFile,
    client,
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
    },
    env: () => ({
      AWS_ACCESS_KEY_ID: MOTO_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: MOTO_SECRET_KEY,
      AWS_REGION: MOTO_REGION,
      AWS_ENDPOINT_URL_EC2: endpoint,
      // No shared files of the developer's own may leak into a test.
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
    }),
    stop,
  };
}

/** An AMI moto knows (its bundled Amazon Linux images), so specs look like real ones. */
export const MOTO_AMI = 'ami-03cf127a';
export const MOTO_AMI_2 = 'ami-12c6146b';
