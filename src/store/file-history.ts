import { type GroupId, type SpecRevision, TendError } from '../spi/index.js';
import { parseRecord, specRevisionSchema, toSpecRevision } from './records.js';

/**
 * A group's history file holds one SpecRevision per line (JSON lines). The whole file is replaced
 * atomically on each commit, so our own crashes never tear it; damage comes from outside (a disk
 * fault, a hand edit, a truncating copy). Reading keeps every intact line and reports each bad one.
 */
export interface ParsedHistory {
  revisions: SpecRevision[];
  problems: TendError[];
  /** Each non-empty line as read, terminated, so a rewrite keeps damaged lines byte for byte. */
  lines: string[];
  /** False when the last line is damaged: then the latest revision is unknown. */
  tailIntact: boolean;
  /** The problem that makes the tail unknown, if any. */
  tailProblem?: TendError;
}

function damaged(file: string, line: number, problem: string, groupId: GroupId): TendError {
  return new TendError('internal', `history file ${file} line ${line}: ${problem}`, {
    details: { file, line, groupId },
  });
}

/**
 * `text` is undefined when the file does not exist (a group never committed).
 * `tailOnly` validates just the last line: enough to know the latest revision, and it keeps a
 * commit from re-validating the whole history each time (revisions then holds only the latest).
 */
export function parseHistory(
  text: string | undefined,
  file: string,
  groupId: GroupId,
  options: { tailOnly?: boolean } = {},
): ParsedHistory {
  const parsed: ParsedHistory = { revisions: [], problems: [], lines: [], tailIntact: true };
  if (text === undefined) return parsed;
  if (text.trim() === '') {
    // Tend never writes an empty history (a group is born with revision 1), so an empty file is
    // damage from outside, and a commit must not start over at revision 1.
    const error = damaged(file, 1, 'the file is empty (truncated or replaced by hand)', groupId);
    return { ...parsed, problems: [error], tailIntact: false, tailProblem: error };
  }
  const raw = text.split('\n');
  const unterminated = raw.at(-1) !== '';
  const lastIndex = raw.findLastIndex((line) => line.trim() !== '');
  let previous = 0;
  for (const [index, line] of raw.entries()) {
    if (line.trim() === '') continue;
    const isLast = index === lastIndex;
    parsed.lines.push(line);
    if (options.tailOnly === true && !isLast) continue;
    const result = parseRecord(specRevisionSchema, line);
    let problem: string | undefined;
    if (!result.ok) {
      problem =
        isLast && unterminated
          ? `cut short (no newline at the end, the file looks truncated): ${result.problem}`
          : result.problem;
    } else if (result.value.groupId !== groupId) {
      problem = `belongs to group ${result.value.groupId}, not ${groupId}`;
    } else if (result.value.revision <= previous && options.tailOnly !== true) {
      problem = `revision ${result.value.revision} does not follow revision ${previous}`;
    }
    if (problem !== undefined || !result.ok) {
      const error = damaged(file, index + 1, problem ?? 'invalid', groupId);
      parsed.problems.push(error);
      parsed.tailIntact = !isLast;
      if (isLast) parsed.tailProblem = error;
      continue;
    }
    previous = result.value.revision;
    parsed.revisions.push(toSpecRevision(result.value));
  }
  return parsed;
}

export function serializeHistory(lines: readonly string[]): string {
  return lines.map((line) => `${line}\n`).join('');
}

/** The error for an operation that needs the latest revision of a history whose end is damaged. */
export function unknownLatest(file: string, groupId: GroupId, parsed: ParsedHistory): TendError {
  const tail = parsed.tailProblem?.message ?? `history file ${file} is damaged`;
  const earlier = parsed.lines.length - 1;
  const kept =
    earlier > 0
      ? `history() still returns the intact revisions among the ${earlier} lines before it`
      : 'no earlier revision is stored';
  return new TendError(
    'internal',
    `${tail}; the latest revision of group ${groupId} is unknown, so it cannot be read or committed ` +
      `until the file is repaired (${kept})`,
    { details: { file, groupId }, cause: parsed.tailProblem },
  );
}
