// InfraKit v0.5's own manager answering the same calls as Tend's `group` socket, for the rpc
// bench's comparison column. Optional: TEND_BENCH_INFRAKIT_BIN names a directory holding
// InfraKit v0.5's `manager`, `group`, `file` and `vanilla` binaries (built by hand from
// docker/infrakit at tag v0.5; nothing of InfraKit is in this repository). When it is unset the
// column is skipped with a printed note.
//
// The stack is InfraKit's own: `manager os` (file leadership, this manager named leader) proxying
// to the `group` plugin (`group-stateless`), which describes through the `file` instance plugin
// and the `vanilla` flavor, with the same four groups of 25 instances as Tend's side. Each
// DescribeGroup there asks the instance plugin (the files on disk); Tend answers from the status
// its controller keeps. Imported by bench/rpc.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectGroupPlugin, JsonRpcClient } from '../src/rpc/index.js';
import { groupId, type JsonObject } from '../src/spi/index.js';
import { GROUPS, type GroupSocketResult, measureGroupPlugin, SIZE } from './_group-socket.js';

export const INFRAKIT_BIN_ENV = 'TEND_BENCH_INFRAKIT_BIN';
const BINARIES = ['manager', 'group', 'file', 'vanilla'] as const;

/** Why the InfraKit column cannot run, or undefined when it can. */
export function infraKitMissing(): string | undefined {
  const bin = process.env[INFRAKIT_BIN_ENV];
  if (bin === undefined || bin === '') return `${INFRAKIT_BIN_ENV} is not set`;
  const absent = BINARIES.filter((name) => !existsSync(join(bin, name)));
  return absent.length === 0 ? undefined : `${bin} lacks ${absent.join(', ')}`;
}

export async function benchInfraKitManager(calls = 1000): Promise<GroupSocketResult[]> {
  const bin = process.env[INFRAKIT_BIN_ENV] ?? '';
  const dir = mkdtempSync('/tmp/tend-ik-');
  const plugins = join(dir, 'plugins');
  for (const sub of ['plugins', 'files', 'configs']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'leader'), 'group');
  const env = { ...process.env, INFRAKIT_PLUGINS_DIR: plugins, INFRAKIT_HOME: dir };
  const children: ChildProcess[] = [];
  const start = (name: string, args: string[]) =>
    children.push(spawn(join(bin, name), args, { env, stdio: 'ignore' }));
  try {
    start('file', ['--dir', join(dir, 'files')]);
    start('vanilla', []);
    start('group', ['--name', 'group-stateless', '--poll-interval', '10s']);
    await waitFor(() =>
      ['instance-file', 'flavor-vanilla', 'group-stateless'].every((s) => existsSync(join(plugins, s))),
    );
    start('manager', ['os', '--leader-file', join(dir, 'leader'), '--store-dir', join(dir, 'configs')]);
    await waitFor(() => existsSync(join(plugins, 'group')));
    await waitForLeader(join(plugins, 'group'));
    const group = await connectGroupPlugin({ name: 'group', dir: plugins });
    try {
      for (let g = 0; g < GROUPS; g++) await group.commitGroup(infraKitGroup(`g${g}`), false);
      await waitFor(async () => (await group.describeGroup(groupId('g1'))).instances.length === SIZE);
      return await measureGroupPlugin(group, calls);
    } finally {
      await group.close();
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null ? onceExit(child) : undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

function infraKitGroup(id: string): { id: string; properties: JsonObject } {
  return {
    id,
    properties: {
      Allocation: { Size: SIZE },
      Instance: { Plugin: 'instance-file', Properties: { Note: 'bench' } },
      Flavor: { Plugin: 'flavor-vanilla', Properties: { Init: ['true'] } },
    },
  };
}

/** InfraKit's file leadership is polled every 5 s: its manager refuses commits until then. */
async function waitForLeader(socketPath: string): Promise<void> {
  const client = new JsonRpcClient({ socketPath, pluginName: 'group' });
  try {
    await waitFor(
      async () => ((await client.call('Manager.IsLeader', {})) as { Leader?: boolean }).Leader === true,
    );
  } finally {
    client.close();
  }
}

async function waitFor(ready: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve(ready()).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error('InfraKit stack did not come up in time');
    await sleep(100);
  }
}

function onceExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
