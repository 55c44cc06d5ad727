// The faults a campaign seed injects. Each one does its damage and then what a person would do
// about it (restart the killed manager, SIGCONT the frozen one, truncate the torn tail, put the
// plugin right), so the seed can go on; while a group is damaged or its plugin hostile, a healthy
// group must still heal an instance killed under it.
import { appendFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Random, randomInt, withFileLock } from '../../src/lib/index.js';
import type { GroupModel } from './model.js';
import type { Monitor } from './monitor.js';
import type { ManagerSlot, Setup } from './setup.js';

export const faultKinds = [
  'kill-manager',
  'pause-manager',
  'pause-etcd',
  'torn-history',
  'empty-history',
  'garbage-state',
  'hostile-hang',
  'hostile-lie',
  'hostile-garbage',
  'hostile-huge',
] as const;
export type FaultKind = (typeof faultKinds)[number];

/** Store-file damage needs the file store; pausing etcd needs etcd. */
export function faultsFor(kind: Setup['kind']): FaultKind[] {
  return faultKinds.filter((f) =>
    kind === 'file' ? f !== 'pause-etcd' : f !== 'torn-history' && f !== 'empty-history',
  );
}

export interface FaultContext {
  setup: Setup;
  monitor: Monitor;
  random: Random;
  groups: readonly GroupModel[];
  /** The group every damage spares, whose killed instance must be replaced meanwhile. */
  canary: GroupModel;
}

function pick<T>(random: Random, items: readonly T[]): T | undefined {
  return items[Math.floor(random() * items.length)];
}

async function leaderSlot(ctx: FaultContext): Promise<ManagerSlot | undefined> {
  return (await ctx.setup.leader())?.slot;
}

/** Kills one live instance of the canary group and waits for the world to show its replacement. */
export async function canaryHeals(ctx: FaultContext, why: string): Promise<void> {
  const canary = ctx.canary;
  const live = () => [...ctx.monitor.sample().values()].filter((i) => i.group === canary.id);
  const victim = pick(ctx.random, live());
  if (victim === undefined) {
    ctx.monitor.violate('others-converge', `${canary.id} had no live instance to kill while ${why}`);
    return;
  }
  for (const pid of victim.pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  // A bound on a wait for healing, not a timing assertion on speed.
  for (let i = 0; i < 200; i++) {
    const now = live();
    if (now.length === canary.size && !now.some((x) => x.id === victim.id)) return;
    await sleep(100);
  }
  ctx.monitor.violate(
    'others-converge',
    `${canary.id}: a killed instance was not replaced within 20 s while ${why} (${live().length}/${canary.size} live)`,
  );
}

function damageTarget(ctx: FaultContext): GroupModel | undefined {
  return pick(
    ctx.random,
    ctx.groups.filter((g) => g.exists && g !== ctx.canary),
  );
}

async function damageHistory(ctx: FaultContext, how: 'torn' | 'empty'): Promise<string> {
  const target = damageTarget(ctx);
  if (target === undefined || ctx.setup.storeDir === undefined) return 'no group to damage';
  const file = join(ctx.setup.storeDir, 'groups', `${target.id}.jsonl`);
  // Damage and repair hold the store's commit lock, as the store's own writes do: the fault is a
  // damaged file, not a commit lost to an operator racing the store. Without it, a commit landing
  // between the copy taken and the file emptied was wiped, and the stale copy put back (seed 55).
  const lock = { path: join(ctx.setup.storeDir, 'lock') };
  const torn = `{"groupId":"${target.id}","revision":999,"sp`;
  const original = await withFileLock(lock, async () => {
    const before = readFileSync(file);
    if (how === 'torn') appendFileSync(file, torn);
    else writeFileSync(file, '');
    return before;
  });
  await canaryHeals(ctx, `${target.id}'s history was ${how}`);
  // The operator's repair removes the damage and nothing else. The store takes a tail with no
  // newline for an append that never finished, cuts it off and commits after it: truncating
  // back to the length read before would then delete revisions the store acknowledged since
  // (seed 29 of the long campaign did exactly that, and reported the loss as Tend's).
  await withFileLock(lock, async () => {
    const now = readFileSync(file);
    if (how === 'torn' && now.subarray(now.length - torn.length).toString() === torn) {
      truncateSync(file, now.length - torn.length);
    } else if (how === 'empty' && now.length === 0) {
      writeFileSync(file, original);
    }
  });
  return `${how} ${target.id}.jsonl`;
}

function garbageState(ctx: FaultContext): string {
  const candidates = [...ctx.monitor.sample().values()].filter((i) =>
    ctx.groups.some((g) => g.id === i.group && g.plugin === 'process'),
  );
  const victim = pick(ctx.random, candidates);
  if (victim === undefined) return 'no instance to damage';
  const garbage = ['', '{"version":1,"id":', '\u0000\u0001garbage\n', '[]', '{"version":2}'];
  writeFileSync(join(ctx.setup.stateDir, `${victim.id}.json`), pick(ctx.random, garbage) ?? '');
  return `garbage in ${victim.id}.json (${victim.group})`;
}

/** Injects `kind`, then recovers from it; answers a short description of what was done. */
export async function injectFault(ctx: FaultContext, kind: FaultKind): Promise<string> {
  const { setup, random } = ctx;
  switch (kind) {
    case 'kill-manager': {
      const slot =
        random() < 0.7
          ? await leaderSlot(ctx)
          : pick(
              random,
              setup.slots.filter((s) => s.state === 'up'),
            );
      if (slot?.process === undefined) return 'no manager up';
      slot.state = 'down';
      slot.process.signal('SIGKILL');
      await slot.process.exited;
      await sleep(randomInt(random, 0, 1000));
      await setup.start(slot);
      return `kill -9 ${slot.name}, restarted`;
    }
    case 'pause-manager': {
      const slot = (await leaderSlot(ctx)) ?? pick(random, setup.slots);
      if (slot?.process === undefined || slot.state !== 'up') return 'no manager up';
      const ms =
        setup.kind === 'etcd'
          ? setup.leaseTtlSeconds * 1000 + randomInt(random, 500, 1500)
          : randomInt(random, 1000, 2500);
      slot.state = 'stopped';
      slot.process.signal('SIGSTOP');
      await sleep(ms);
      slot.process.signal('SIGCONT');
      slot.startedAt = Date.now();
      slot.state = 'up';
      return `SIGSTOP ${slot.name} for ${ms} ms`;
    }
    case 'pause-etcd': {
      const ms = randomInt(random, 1500, 3000);
      setup.etcd?.pause(0);
      await sleep(ms);
      setup.etcd?.resume(0);
      return `etcd SIGSTOP for ${ms} ms`;
    }
    case 'torn-history':
      return damageHistory(ctx, 'torn');
    case 'empty-history':
      return damageHistory(ctx, 'empty');
    case 'garbage-state':
      return garbageState(ctx);
    case 'hostile-hang':
    case 'hostile-lie':
    case 'hostile-garbage':
    case 'hostile-huge': {
      const mode = kind.slice('hostile-'.length) as 'hang' | 'lie' | 'garbage' | 'huge';
      setup.setHostileMode(mode);
      await canaryHeals(ctx, `the hostile plugin was in mode ${mode}`);
      await sleep(randomInt(random, 0, 1000));
      setup.setHostileMode('honest');
      return `hostile plugin ${mode}`;
    }
  }
}
