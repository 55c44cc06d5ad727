import { open, stat, truncate } from 'node:fs/promises';
import { z } from 'zod';
import { errorCode, readFileIfExists, syncDirectory, writeFileAtomic } from '../lib/index.js';
import type { GroupId, SpecRevision } from '../spi/index.js';
import { type ParsedHistory, parseHistory, unknownLatest } from './file-history.js';
import { parseRecord, specRevisionSchema, toSpecRevision } from './records.js';

/**
 * A group's history is an append-only log (`groups/<g>.jsonl`, one SpecRevision per line) beside
 * a compacted latest record (`groups/<g>.latest.json`): the newest revision, and the log's size
 * and mtime right after it was appended. A commit appends one line and replaces the small record,
 * so it costs the same at revision 2,000 as at revision 10, and reading the latest revision reads
 * the record, not the history.
 *
 * The record is trusted only while the log is exactly as it left it (same size and mtime).
 * Otherwise the log is the truth and is parsed whole, as before the record existed: that covers
 * stores written by older versions (no record; migrated by the next commit), hand repairs and
 * damage from outside (a truncated or emptied log), which still mark the group damaged.
 * One case is ours and is repaired, not reported: bytes past the recorded size with no newline are
 * an append that never finished (a crash or ENOSPC mid-write, never acknowledged), so reads ignore
 * them and the next commit truncates them away.
 */
const latestRecordSchema = z.object({
  revision: specRevisionSchema,
  logBytes: z.number().int().nonnegative(),
  logMtimeMs: z.number(),
});

export interface LogFiles {
  log: string;
  record: string;
  dir: string;
}

/** Where the next commit appends, and what it appends after. */
export interface LogTail {
  latest: SpecRevision | undefined;
  /** The log's size to append at (an unfinished append past it is cut off first). */
  appendAt: number;
  /** The log has bytes past `appendAt` to cut off before appending. */
  tornTail: boolean;
  /** The log's last line has no newline yet (older versions could leave one): add it first. */
  needsNewline: boolean;
}

interface Record {
  revision: SpecRevision;
  logBytes: number;
  logMtimeMs: number;
}

async function readRecord(file: string): Promise<Record | undefined> {
  const text = await readFileIfExists(file);
  if (text === undefined) return undefined;
  const result = parseRecord(latestRecordSchema, text);
  return result.ok ? { ...result.value, revision: toSpecRevision(result.value.revision) } : undefined;
}

async function statIfExists(file: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const info = await stat(file);
    return { size: info.size, mtimeMs: info.mtimeMs };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Reads `length` bytes at `position`. */
async function readBytes(file: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** True when the log is the record's log plus an unfinished append (no newline past the record). */
async function onlyTornPast(files: LogFiles, record: Record, size: number): Promise<boolean> {
  if (size <= record.logBytes) return false;
  // Bounded: one line of a spec is far below this; anything longer is not our unfinished append.
  if (size - record.logBytes > 16 * 1024 * 1024) return false;
  const extra = await readBytes(files.log, record.logBytes, size - record.logBytes);
  return !extra.includes(0x0a);
}

/**
 * The whole log as text, without an unfinished append past the record. `text` is undefined when
 * the group was never committed.
 */
export async function readLogText(files: LogFiles): Promise<string | undefined> {
  const buffer = await readFileBuffer(files.log);
  if (buffer === undefined) return undefined;
  const record = await readRecord(files.record);
  if (record !== undefined && (await onlyTornPast(files, record, buffer.length))) {
    return buffer.subarray(0, record.logBytes).toString('utf8');
  }
  return buffer.toString('utf8');
}

async function readFileBuffer(file: string): Promise<Buffer | undefined> {
  try {
    const handle = await open(file, 'r');
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

export type TailRead =
  | { ok: true; tail: LogTail }
  | { ok: false; parsed: ParsedHistory; error: ReturnType<typeof unknownLatest> };

/**
 * The latest revision and where to append: from the record when the log is as it left it (two
 * small reads), otherwise by parsing the log whole (see the comment at the top).
 */
export async function readTail(files: LogFiles, groupId: GroupId): Promise<TailRead> {
  const info = await statIfExists(files.log);
  if (info === undefined) {
    return { ok: true, tail: { latest: undefined, appendAt: 0, tornTail: false, needsNewline: false } };
  }
  const record = await readRecord(files.record);
  if (record !== undefined && record.revision.groupId === groupId) {
    if (info.size === record.logBytes && info.mtimeMs === record.logMtimeMs) {
      return {
        ok: true,
        tail: { latest: record.revision, appendAt: info.size, tornTail: false, needsNewline: false },
      };
    }
    if (await onlyTornPast(files, record, info.size)) {
      return {
        ok: true,
        tail: { latest: record.revision, appendAt: record.logBytes, tornTail: true, needsNewline: false },
      };
    }
  }
  const buffer = (await readFileBuffer(files.log)) ?? Buffer.alloc(0);
  const parsed = parseHistory(buffer.toString('utf8'), files.log, groupId, { tailOnly: true });
  if (!parsed.tailIntact) return { ok: false, parsed, error: unknownLatest(files.log, groupId, parsed) };
  return {
    ok: true,
    tail: {
      latest: parsed.revisions.at(-1),
      appendAt: buffer.length,
      tornTail: false,
      needsNewline: buffer.length > 0 && buffer[buffer.length - 1] !== 0x0a,
    },
  };
}

/**
 * Appends `revision` after `tail` and records it as the latest. The line is durable (fsync)
 * before the record names it; a crash between the two leaves a complete line the record does not
 * know, and the next read parses the log and finds it.
 */
export async function appendRevision(files: LogFiles, tail: LogTail, revision: SpecRevision): Promise<void> {
  if (tail.tornTail) await truncate(files.log, tail.appendAt);
  const created = tail.appendAt === 0;
  const line = `${tail.needsNewline ? '\n' : ''}${JSON.stringify(revision)}\n`;
  const handle = await open(files.log, 'a', 0o600);
  try {
    try {
      await handle.writeFile(line, 'utf8');
      await handle.sync();
    } catch (error) {
      // ENOSPC mid-line: cut the unfinished line off now (the next read would ignore it anyway).
      await handle.truncate(tail.appendAt).catch(() => undefined);
      throw error;
    }
  } finally {
    await handle.close();
  }
  if (created) await syncDirectory(files.dir);
  const info = await stat(files.log);
  await writeFileAtomic(
    files.record,
    JSON.stringify({ revision, logBytes: info.size, logMtimeMs: info.mtimeMs }),
  );
}
