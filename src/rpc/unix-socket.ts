import { lstat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { TendError } from '../spi/index.js';

/** sun_path holds 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Rejects a path the kernel would truncate or refuse, naming the path and the limit. */
export function checkSocketPath(socketPath: string): void {
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new TendError(
      'invalid_spec',
      `socket path ${socketPath} is ${bytes} bytes; unix sockets allow at most ${MAX_SOCKET_PATH_BYTES}` +
        ' (use a shorter TEND_PLUGIN_DIR or plugin name)',
      { details: { socketPath, bytes, limit: MAX_SOCKET_PATH_BYTES } },
    );
  }
}

/** True when something accepts connections on the socket; false when the file is absent or stale. */
export function isSocketLive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path: socketPath });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Makes `socketPath` free to listen on: removes a stale socket file (nobody listening), fails with
 * `conflict` when a live server holds it or when the path is some other kind of file.
 */
export async function removeStaleSocket(socketPath: string): Promise<'absent' | 'removed'> {
  const stats = await lstat(socketPath).catch((error: unknown) => {
    if (isErrnoCode(error, 'ENOENT')) return undefined;
    throw error;
  });
  if (stats === undefined) return 'absent';
  if (!stats.isSocket()) {
    throw new TendError('conflict', `${socketPath} exists and is not a socket; refusing to replace it`, {
      details: { socketPath },
    });
  }
  if (await isSocketLive(socketPath)) {
    throw new TendError('conflict', `${socketPath} is in use: another process is listening on it`, {
      details: { socketPath },
    });
  }
  await unlink(socketPath).catch((error: unknown) => {
    if (!isErrnoCode(error, 'ENOENT')) throw error;
  });
  return 'removed';
}

export function isErrnoCode(error: unknown, ...codes: string[]): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    codes.includes(error.code)
  );
}
