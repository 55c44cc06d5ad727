// The checks at the end of a step: the world must settle — every group exactly at its size on the
// config last applied, every live process accounted for by a state file of its group, nothing left
// of a destroyed group — and, at the end of a seed, the committed history must hold exactly what
// the campaign committed.
import { setTimeout as sleep } from 'node:timers/promises';
import { type GroupModel, MAX_SURGE, revisionContent } from './model.js';
import type { Monitor } from './monitor.js';
import type { Setup } from './setup.js';
import { readStateFiles } from './world.js';

/** A bound on how long a step may take to settle; past it the seed reports what it saw. */
export const SETTLE_LIMIT_MS = 45_000;

interface Snapshot {
  problems: string[];
  unaccounted: string[];
  excess: string[];
}

async function snapshot(setup: Setup, monitor: Monitor, groups: readonly GroupModel[]): Promise<Snapshot> {
  const world = monitor.sample();
  const states = { process: readStateFiles(setup.stateDir), hostile: readStateFiles(setup.hostileStateDir) };
  const problems: string[] = [];
  const unaccounted: string[] = [];
  const excess: string[] = [];
  for (const instance of world.values()) {
    const group = groups.find((g) => g.id === instance.group);
    const state = group === undefined ? undefined : states[group.plugin].get(instance.id);
    if (group === undefined || !group.exists) {
      unaccounted.push(`${instance.id} of removed group ${instance.group} (pid ${instance.pids[0]})`);
    } else if (state === undefined || state.tags['tend.group'] !== group.id) {
      unaccounted.push(`${instance.id} (${group.id}, pid ${instance.pids[0]}) has no valid state file`);
    } else if (group.config !== undefined && state.tags['tend.config'] !== group.config) {
      problems.push(`${instance.id} (${group.id}) still on config ${state.tags['tend.config']}`);
    }
  }
  for (const group of groups) {
    const live = [...world.values()].filter((i) => i.group === group.id).length;
    const want = group.exists ? group.size : 0;
    if (live > want) excess.push(`${group.id}: ${live} live, size ${want}`);
    else if (live < want) problems.push(`${group.id}: ${live} live, size ${want}`);
  }
  const leader = await setup.leader().catch(() => undefined);
  if (leader === undefined) {
    problems.push('no leader');
  } else {
    const status = await leader.client.status().catch((error: unknown) => String(error));
    if (typeof status === 'string') {
      problems.push(`status: ${status}`);
    } else {
      for (const group of groups.filter((g) => g.exists)) {
        const s = status.groups.find((x) => x.id === group.id);
        if (s?.phase !== 'converged' || s.healthy !== group.size) {
          problems.push(
            `${group.id}: leader says ${s?.phase ?? 'absent'}, ${s?.healthy ?? 0}/${group.size} healthy`,
          );
        }
      }
    }
  }
  return { problems, unaccounted, excess };
}

/** Waits for the world to settle; reports what stayed wrong if it does not. */
export async function settle(setup: Setup, monitor: Monitor, groups: readonly GroupModel[]): Promise<void> {
  let last: Snapshot = { problems: ['not looked yet'], unaccounted: [], excess: [] };
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  while (Date.now() < deadline) {
    last = await snapshot(setup, monitor, groups);
    if (last.problems.length + last.unaccounted.length + last.excess.length === 0) {
      for (const g of groups) g.bound = g.exists ? g.size + MAX_SURGE : 0;
      return;
    }
    await sleep(150);
  }
  if (last.unaccounted.length > 0) monitor.violate('unaccounted', last.unaccounted.join('; '));
  if (last.excess.length > 0) monitor.violate('size-bound', `after settling: ${last.excess.join('; ')}`);
  if (last.problems.length > 0)
    monitor.violate('converge', `not settled after ${SETTLE_LIMIT_MS / 1000} s: ${last.problems.join('; ')}`);
  for (const g of groups) g.bound = g.exists ? g.size + MAX_SURGE : 0;
}

/**
 * The committed history holds exactly what the campaign committed: revisions 1..n without gaps,
 * every answered commit at its revision with its content, nothing the campaign never sent, and the
 * latest revision what the campaign last asked for.
 */
export async function checkHistory(
  setup: Setup,
  monitor: Monitor,
  groups: readonly GroupModel[],
): Promise<void> {
  const leader = await setup.leader();
  if (leader === undefined) {
    monitor.violate('history', 'no leader to read the history from');
    return;
  }
  for (const group of groups) {
    let revisions: Awaited<ReturnType<typeof leader.client.history>>['revisions'];
    try {
      revisions = (await leader.client.history(group.id)).revisions;
    } catch (error) {
      monitor.violate('history', `${group.id}: history unreadable: ${String(error)}`);
      continue;
    }
    const content = (r: (typeof revisions)[number]) =>
      r.deleted === true ? { deleted: true } : { deleted: false, ...revisionContent(r.spec) };
    const same = (a: ReturnType<typeof content>, b: { size: number; version: number; deleted: boolean }) =>
      a.deleted ? b.deleted : !b.deleted && 'size' in a && a.size === b.size && a.version === b.version;
    const problems: string[] = [];
    revisions.forEach((r, i) => {
      if (r.revision !== i + 1) problems.push(`revision ${r.revision} at position ${i + 1}`);
      if (!group.attempts.some((a) => same(content(r), a))) {
        problems.push(
          `revision ${r.revision} ${JSON.stringify(content(r))} was never committed by the campaign`,
        );
      }
    });
    for (const a of group.attempts) {
      if (a.revision === undefined) continue;
      const r = revisions.find((x) => x.revision === a.revision);
      if (r === undefined || !same(content(r), a)) {
        problems.push(
          `answered commit ${JSON.stringify(a)} is not revision ${a.revision} (${r === undefined ? 'missing' : JSON.stringify(content(r))})`,
        );
      }
    }
    const latest = revisions.at(-1);
    const want = { size: group.size, version: group.version, deleted: !group.exists };
    if (latest === undefined || !same(content(latest), want)) {
      problems.push(
        `latest is ${latest === undefined ? 'missing' : JSON.stringify(content(latest))}, want ${JSON.stringify(want)}`,
      );
    }
    if (problems.length > 0) monitor.violate('history', `${group.id}: ${problems.join('; ')}`);
  }
}
