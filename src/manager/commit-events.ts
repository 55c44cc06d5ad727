import type { GroupEvent, GroupId } from '../spi/index.js';

/**
 * What a spec commit did, as its `committed` event names it in `data.action`. The words are the
 * audit log's (`auditAction`), so an event and its audit entry can be matched; `rollback` is the
 * controller's own commit of a failed rollout, which no request asked for.
 */
export type CommitAction =
  | 'apply'
  | 'scale'
  | 'rollout undo'
  | 'rollback'
  | 'destroy'
  | 'free'
  | 'instances destroy';

/** One commit to the store, as the operation that made it knows it. */
export interface CommitRecord {
  groupId: GroupId;
  action: CommitAction;
  /** The revision the commit made (a destroy's or free's tombstone included). */
  revision: number;
  /** As recorded in history: the client's `author`, else the manager's default. */
  author: string;
  /** The bearer token's name when the commit came over the HTTP API (the author is the client's word). */
  token?: string | undefined;
  /** As recorded in history. */
  reason: string;
  /** The reason the operation records when the caller gives none (`scale to 3`); the message's text. */
  label: string;
  /** For `apply`: whether the commit created the group or changed it. */
  change?: 'created' | 'updated';
  at: number;
}

/**
 * The event of a spec commit: who, what, which group, which revision, in `data` for tools and in
 * the message for people, e.g. `revision 3 by ann (token ops): scale to 3`.
 */
export function commitEvent(record: CommitRecord): GroupEvent {
  const { groupId, action, revision, author, token, reason, label, change, at } = record;
  const what = change === undefined ? label : `${label} (${change})`;
  const why = reason === label ? '' : ` — ${reason}`;
  const via = token === undefined || token === author ? '' : ` (token ${token})`;
  return {
    type: 'committed',
    groupId,
    message: `revision ${revision} by ${author}${via}: ${what}${why}`,
    at,
    data: {
      action,
      revision,
      author,
      reason,
      ...(token === undefined ? {} : { token }),
      ...(change === undefined ? {} : { change }),
    },
  };
}
