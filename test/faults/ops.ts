// The operations a campaign seed drives through the manager's HTTP API (what `tend apply`, `tend
// scale` and `tend destroy` send), each retried through faults the way a user would retry it, and
// each attempt recorded in the group's model for the history check.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ManagerClient } from '../../src/api/index.js';
import { type Random, randomInt } from '../../src/lib/index.js';
import { type GroupModel, MAX_SURGE, specDocument } from './model.js';
import type { Setup } from './setup.js';

export type Op = 'create' | 'scale' | 'update' | 'destroy';

export function chooseOp(random: Random, work: GroupModel): Op {
  if (!work.exists) return 'create';
  const roll = random();
  return roll < 0.4 ? 'scale' : roll < 0.85 ? 'update' : 'destroy';
}

/** The leader's client, waiting through failovers and restarts (a bound, not a timing assertion). */
export async function leaderClient(setup: Setup): Promise<ManagerClient> {
  for (let i = 0; i < 600; i++) {
    const found = await setup.leader();
    if (found !== undefined) return found.client;
    await sleep(100);
  }
  throw new Error('no leader for 60 s');
}

/**
 * Runs `attempt` against the leader until it succeeds. A failed call is recorded as an uncertain
 * commit (the fault may have cut the answer after the write), then retried, as a user would.
 */
export async function commit(
  setup: Setup,
  what: string,
  attempt: (client: ManagerClient) => Promise<void>,
): Promise<void> {
  let lastError: unknown;
  for (let i = 0; i < 120; i++) {
    try {
      await attempt(await leaderClient(setup));
      return;
    } catch (error) {
      lastError = error;
      await sleep(250);
    }
  }
  throw new Error(`${what} never succeeded: ${String(lastError)}`);
}

export async function applyAll(setup: Setup, groups: GroupModel[]): Promise<void> {
  const live = groups.filter((g) => g.exists);
  await commit(setup, 'apply', async (client) => {
    for (const g of live)
      g.attempts.push({ size: g.size, version: g.version, deleted: false, revision: undefined });
    const applied = await client.apply(specDocument(setup.runId, live), { reason: 'fault campaign' });
    for (const answer of applied.groups) {
      const g = live.find((x) => x.id === answer.id);
      const last = g?.attempts.at(-1);
      if (g === undefined || last === undefined) continue;
      last.revision = answer.revision;
      g.config = answer.config;
    }
  });
}

export async function runOp(
  setup: Setup,
  groups: GroupModel[],
  work: GroupModel,
  op: Op,
  random: Random,
): Promise<string> {
  switch (op) {
    case 'create':
      work.exists = true;
      work.bound = work.size + MAX_SURGE;
      await applyAll(setup, groups);
      return `create ${work.id} size ${work.size}`;
    case 'update':
      work.version += 1;
      work.bound = work.size + MAX_SURGE;
      await applyAll(setup, groups);
      return `roll ${work.id} to v${work.version}`;
    case 'scale': {
      const size = randomInt(random, 1, 4);
      work.bound = Math.max(work.size, size) + MAX_SURGE;
      work.size = size;
      await commit(setup, 'scale', async (client) => {
        work.attempts.push({ size, version: work.version, deleted: false, revision: undefined });
        const ok = await client.scale(work.id, size, { reason: 'fault campaign' });
        const last = work.attempts.at(-1);
        if (last !== undefined) last.revision = ok.revision;
      });
      return `scale ${work.id} to ${size}`;
    }
    case 'destroy':
      work.exists = false;
      await commit(setup, 'destroy', async (client) => {
        work.attempts.push({ size: work.size, version: work.version, deleted: true, revision: undefined });
        const ok = await client.destroy(work.id, { reason: 'fault campaign' });
        const last = work.attempts.at(-1);
        if (last !== undefined) last.revision = ok.revision;
      });
      return `destroy ${work.id}`;
  }
}
