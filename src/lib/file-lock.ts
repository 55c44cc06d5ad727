import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { errorCode, readFileIfExists } from './atomic-file.js';
import { systemClock } from './clock.js';

/**
 * A lock between processes on one machine: the lock file is published with link(2), which fails
 * if it exists, so its content (pid, boot id, token) is complete whenever it is visible. A lock
 * whose process is gone (dead pid, or a boot id from before a reboot) is stale and is broken under
 * a second "breaker" lock that re-checks the token, so two processes cannot both break it and
 * remove a fresh lock by mistake. Waits use real time on purpose: the holder is another process,
 * which virtual time cannot move.
 */
export interface FileLockOptions {
  path: string;
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class FileLockTimeoutError extends Error {
  readonly path: string;
  readonly holder: string;
  constructor(path: string, holder: string, timeoutMs: number) {
    super(`lock file ${path} is still held by ${holder} after ${timeoutMs} ms`);
    this.name = 'FileLockTimeoutError';
    this.path = path;
    this.holder = holder;
  }
}

interface LockOwner {
  pid: number;
  bootId: string;
  host: string;
  token: string;
}

let cachedBootId: string | undefined;
function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = '';
    }
  }
  return cachedBootId;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { pid, bootId: boot, host, token } = value as Record<string, unknown>;
    if (typeof pid !== 'number' || typeof boot !== 'string' || typeof token !== 'string') return undefined;
    return { pid, bootId: boot, host: typeof host === 'string' ? host : '', token };
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/** Content is published atomically, so unreadable content can only be debris from a power loss. */
function isStale(owner: LockOwner | undefined): boolean {
  if (owner === undefined) return true;
  if (owner.bootId !== bootId()) return true;
  return !processAlive(owner.pid);
}

async function tryPublish(path: string, owner: LockOwner): Promise<boolean> {
  const temp = `${path}.${owner.token}`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(owner), 'utf8');
  } catch (error) {
    // A full disk creates the file but not its content: do not leave one empty file per attempt.
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

async function removeIfToken(path: string, token: string | undefined): Promise<void> {
  const current = await readFileIfExists(path);
  if (current === undefined) return;
  if (parseOwner(current)?.token !== token) return;
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

function newOwner(): LockOwner {
  return { pid: process.pid, bootId: bootId(), host: hostname(), token: randomBytes(8).toString('hex') };
}

async function breakStale(path: string, staleText: string): Promise<void> {
  const breaker = `${path}.break`;
  const owner = newOwner();
  if (!(await tryPublish(breaker, owner))) {
    const text = await readFileIfExists(breaker);
    // A breaker is held for microseconds; one left behind by a dead process is removed directly.
    if (text !== undefined && isStale(parseOwner(text)))
      await removeIfToken(breaker, parseOwner(text)?.token);
    return;
  }
  try {
    const current = await readFileIfExists(path);
    if (current === staleText) await unlink(path).catch(() => undefined);
  } finally {
    await removeIfToken(breaker, owner.token);
  }
}

function describeHolder(text: string | undefined): string {
  const owner = text === undefined ? undefined : parseOwner(text);
  return owner === undefined ? 'an unknown process' : `pid ${owner.pid} on ${owner.host || 'this host'}`;
}

/** A side file being written right now may be empty for an instant; older than this it is debris. */
const unreadableDebrisAgeMs = 60_000;

/**
 * Removes the side files a lock leaves when its process is killed between creating them and
 * cleaning up (`<lock>.<token>` before the link, `<lock>.break`): those whose owner is gone, and
 * unreadable ones old enough that no live process can still be writing them. Returns their names.
 */
export async function removeStaleLockFiles(path: string): Promise<string[]> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const removed: string[] = [];
  for (const entry of await readdir(dir)) {
    if (!entry.startsWith(prefix)) continue;
    const file = join(dir, entry);
    const text = await readFileIfExists(file);
    if (text === undefined) continue;
    const owner = parseOwner(text);
    if (owner === undefined && !(await olderThan(file, unreadableDebrisAgeMs))) continue;
    if (!isStale(owner)) continue;
    try {
      await unlink(file);
      removed.push(entry);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }
  return removed;
}

async function olderThan(file: string, ageMs: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(file)).mtimeMs > ageMs;
  } catch {
    return false;
  }
}

/** Runs `fn` while holding the lock file; always releases it, even when `fn` throws. */
export async function withFileLock<T>(options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = Date.now();
  const owner = newOwner();
  let wait = 1;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await tryPublish(options.path, owner)) break;
    const text = await readFileIfExists(options.path);
    if (Date.now() - started > timeoutMs) {
      throw new FileLockTimeoutError(options.path, describeHolder(text), timeoutMs);
    }
    if (text !== undefined && isStale(parseOwner(text))) {
      await breakStale(options.path, text);
      continue;
    }
    await systemClock.sleep(wait, options.signal);
    wait = Math.min(wait * 2, 25);
  }
  try {
    return await fn();
  } finally {
    await removeIfToken(options.path, owner.token);
  }
}
