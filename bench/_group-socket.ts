// The manager's InfraKit `group` socket, measured the way InfraKit's CLI uses it: one client
// calling Group.InspectGroups (`infrakit group ls`) and Group.DescribeGroup (`group describe`)
// back to back. The manager leads with fake controllers (the controller is not the subject here:
// a real one answers DescribeGroup from the same in-memory status), four groups of 25 instances.
// Imported by bench/rpc.ts (the leading `_` keeps it out of `npm run bench`'s list).
import { mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { StaticLeadership } from '../src/leadership/index.js';
import { Manager } from '../src/manager/index.js';
import { fakeControllers, fakeResolver, sampleSpec } from '../src/manager/testing/manager-fixtures.js';
import { connectGroupPlugin, type RemoteGroupPlugin } from '../src/rpc/index.js';
import { groupId } from '../src/spi/index.js';
import { MemoryStore } from '../src/store/index.js';

export const GROUPS = 4;
export const SIZE = 25;
const WARMUP = 50;

export interface GroupSocketResult {
  method: 'Group.InspectGroups' | 'Group.DescribeGroup';
  groups: number;
  instancesPerGroup: number;
  clients: 1;
  calls: number;
  callsPerSecond: number;
}

/** Runs `calls` of each method with one client; the manager lives only for the measurement. */
export async function benchGroupSocket(calls = 1000): Promise<GroupSocketResult[]> {
  const dir = mkdtempSync('/tmp/tend-gs-');
  const manager = await Manager.create({
    name: 'bench',
    store: new MemoryStore(),
    resolver: fakeResolver(),
    leadership: ({ address }) => new StaticLeadership({ name: 'bench', address }),
    listen: { port: 0 },
    groupSocket: { dir },
    createController: fakeControllers().create,
  });
  try {
    manager.start();
    for (let i = 0; i < 2000 && !manager.isLeader(); i++) await sleep(5);
    if (!manager.isLeader()) throw new Error('bench manager never became leader');
    for (let g = 0; g < GROUPS; g++) await manager.apply(sampleSpec(`g${g}`, SIZE), {});
    const group = await connectGroupPlugin({ name: 'group', dir });
    try {
      return await measureGroupPlugin(group, calls);
    } finally {
      await group.close();
    }
  } finally {
    await manager.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** InspectGroups and DescribeGroup calls/s of one client on a plugin holding the bench's groups. */
export async function measureGroupPlugin(
  group: RemoteGroupPlugin,
  calls: number,
): Promise<GroupSocketResult[]> {
  const inspect = await rate(calls, async () => {
    const found = await group.inspectGroups();
    if (found.length !== GROUPS) throw new Error(`expected ${GROUPS} groups, got ${found.length}`);
  });
  const describe = await rate(calls, async () => {
    const found = await group.describeGroup(groupId('g1'));
    if (found.instances.length !== SIZE) throw new Error(`expected ${SIZE} instances`);
  });
  const common = { groups: GROUPS, instancesPerGroup: SIZE, clients: 1 as const, calls };
  return [
    { method: 'Group.InspectGroups', ...common, callsPerSecond: inspect },
    { method: 'Group.DescribeGroup', ...common, callsPerSecond: describe },
  ];
}

/** Calls per second of `call`, one at a time, after a warm-up. */
async function rate(calls: number, call: () => Promise<void>): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await call();
  const started = performance.now();
  for (let i = 0; i < calls; i++) await call();
  return Math.round((calls / (performance.now() - started)) * 1000);
}
