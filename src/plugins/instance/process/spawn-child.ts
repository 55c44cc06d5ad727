import { type ChildProcess, spawn } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { type InstanceSpec, TendError } from '../../../spi/index.js';
import { instanceEnv } from './instance-env.js';
import type { ProcessProperties } from './properties.js';

/**
 * Spawns the instance's `sh -c <init>`, detached in a process group of its own, output appended
 * to its log. `onExit` is attached before anything can wait, so even an instant exit is reported.
 */
export async function startChild(options: {
  id: string;
  spec: InstanceSpec;
  properties: ProcessProperties;
  logPath: string;
  stateDirId: string;
  onExit: () => void;
}): Promise<{ process: ChildProcess; onExit: () => void }> {
  const { id, spec, properties, onExit } = options;
  const log = await open(options.logPath, 'a', 0o600);
  try {
    const env = instanceEnv({
      id,
      stateDirId: options.stateDirId,
      ...(spec.logicalId === undefined ? {} : { logicalId: spec.logicalId }),
      ...(properties.env === undefined ? {} : { extra: properties.env }),
    });
    const child: ChildProcess = spawn('/bin/sh', ['-c', spec.init], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env,
      ...(properties.cwd === undefined ? {} : { cwd: properties.cwd }),
    });
    child.once('exit', onExit);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    }).catch((error: unknown) => {
      child.off('exit', onExit);
      throw new TendError('unavailable', `process plugin: cannot start /bin/sh for ${id}`, { cause: error });
    });
    return { process: child, onExit };
  } finally {
    await log.close();
  }
}

export async function assertDirectory(cwd: string): Promise<void> {
  const info = await stat(cwd).catch(() => undefined);
  if (info?.isDirectory() !== true) {
    throw new TendError('invalid_spec', `process plugin: properties.cwd: ${cwd} is not a directory`);
  }
}

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
