import type { StatusDelta, StatusView } from './views.js';

/**
 * The status after `delta`: the delta's own fields, its changed summaries in place of (or beside)
 * the old ones, its removed groups gone; groups in ID order as `GET /v1/status` lists them.
 */
export function applyStatusDelta(status: StatusView, delta: StatusDelta): StatusView {
  const { changed, removed, ...rest } = delta;
  const groups = new Map<string, StatusView['groups'][number]>(status.groups.map((g) => [g.id, g]));
  for (const id of removed) groups.delete(id);
  for (const group of changed) groups.set(group.id, group);
  const sorted = [...groups.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { ...rest, groups: sorted };
}
