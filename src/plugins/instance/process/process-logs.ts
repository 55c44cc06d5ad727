import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../../lib/index.js';
import { type LogsOptions, TendError } from '../../../spi/index.js';

/** Default and largest tail one call returns: a log can grow without bound, an answer must not. */
export const DEFAULT_LOG_TAIL_BYTES = 64 * 1024;
export const MAX_LOG_TAIL_BYTES = 1 << 20;

/**
 * Logs of instances that no longer run are kept for a post-mortem, but bounded (README, process
 * plugin): the newest `maxFiles` of them, none older than `maxAgeMs`. Logs of running instances
 * are never removed.
 */
export interface LogRetention {
  maxFiles: number;
  maxAgeMs: number;
}

export const DEFAULT_LOG_RETENTION: LogRetention = { maxFiles: 100, maxAgeMs: 7 * 24 * 3600_000 };

const logFileName = /^(proc-[0-9a-f]{16})\.log$/;

/**
 * The last `tailBytes` of a log file; undefined when there is none. The log has no line times, so
 * `sinceMs` is honoured by the file's modification time: nothing written since then, nothing
 * returned.
 */
export async function readLogTail(path: string, options: LogsOptions = {}): Promise<string | undefined> {
  const wanted = Math.min(
    MAX_LOG_TAIL_BYTES,
    Math.max(0, Math.floor(options.tailBytes ?? DEFAULT_LOG_TAIL_BYTES)),
  );
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TendError('unavailable', `process plugin: cannot read ${path}`, { cause: error });
  }
  try {
    const info = await handle.stat();
    if (options.sinceMs !== undefined && info.mtimeMs < options.sinceMs) return '';
    const length = Math.min(wanted, info.size);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, info.size - length);
    return dropPartialCharacter(buffer.subarray(0, bytesRead), info.size > length);
  } finally {
    await handle.close();
  }
}

/** A tail cut inside a UTF-8 sequence starts with continuation bytes; they would show as U+FFFD. */
function dropPartialCharacter(bytes: Buffer, cut: boolean): string {
  let start = 0;
  if (cut) {
    while (start < bytes.length && start < 4 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start += 1;
  }
  return bytes.subarray(start).toString('utf8');
}

/**
 * Removes logs of instances not in `keep` beyond the retention: older than `maxAgeMs`, then the
 * oldest beyond `maxFiles`. Returns the IDs whose log was removed.
 */
export async function pruneLogs(options: {
  dir: string;
  keep: ReadonlySet<string>;
  now: number;
  retention: LogRetention;
  logger: Logger;
}): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(options.dir);
  } catch {
    return [];
  }
  const candidates: Array<{ id: string; file: string; mtimeMs: number }> = [];
  for (const name of names) {
    const id = logFileName.exec(name)?.[1];
    if (id === undefined || options.keep.has(id)) continue;
    const file = join(options.dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info !== undefined) candidates.push({ id, file, mtimeMs: info.mtimeMs });
  }
  candidates.sort((a, b) => b.mtimeMs - a.mtimeMs); // newest first
  const { maxFiles, maxAgeMs } = options.retention;
  const doomed = candidates.filter((c, i) => i >= maxFiles || options.now - c.mtimeMs > maxAgeMs);
  for (const c of doomed) await rm(c.file, { force: true });
  if (doomed.length > 0) options.logger.info('old instance logs removed', { count: doomed.length });
  return doomed.map((c) => c.id);
}
