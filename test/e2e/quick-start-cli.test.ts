// Issue #12 acceptance: the README's quick start followed from the CLI alone, on one manager and
// the process plugin: find an instance's PID with `tend describe`, kill it, see the replacement,
// read output with `tend logs` (the killed instance's too), follow a rollout to exit 0 and a
// broken one to a non-zero exit.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { e2eWorkspace, eventually, ManagerProcess, runCli } from '../support/manager.js';

const example = await readFile(new URL('../../examples/process-group.yaml', import.meta.url), 'utf8');

let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
let manager: ManagerProcess;
let env: NodeJS.ProcessEnv;

before(async () => {
  workspace = await e2eWorkspace('quick-start-cli');
  manager = await ManagerProcess.start({ name: 'qs', dir: workspace.dir, stateDir: workspace.stateDir });
  workspace.managers.push(manager);
  env = { TEND_MANAGER: manager.url, TEND_TOKEN: manager.token, NO_COLOR: '1' };
  await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
});

after(async () => {
  await workspace.cleanup();
});

async function tend(...args: string[]): Promise<string> {
  const result = await runCli(args, env);
  assert.equal(result.code, 0, `tend ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function applyText(name: string, text: string): Promise<void> {
  const file = join(workspace.dir, name);
  await writeFile(file, text);
  await tend('apply', '-f', file, '--no-wait');
}

/** `INSTANCE … pid N on host …` rows of `tend describe`, healthy ones only. */
function healthyRows(describe: string): Array<{ id: string; pid: number }> {
  return [...describe.matchAll(/^(proc-[0-9a-f]{16})\s+-\s+healthy\s.*\bpid (\d+)\b/gm)].map((m) => ({
    id: m[1] ?? '',
    pid: Number(m[2]),
  }));
}

test('quick start from the CLI: describe → kill → replacement → logs → rollouts', {
  timeout: 600_000,
}, async () => {
  await applyText('hello.yaml', example);
  await tend('rollout', 'status', 'hello');
  const before = healthyRows(await tend('describe', 'hello'));
  assert.equal(before.length, 3, 'three healthy instances, each with a PID');
  const victim = before[0];
  assert.ok(victim !== undefined);
  process.kill(victim.pid, 'SIGKILL');

  const after = await eventually('a replacement, healthy', async () => {
    const rows = healthyRows(await tend('describe', 'hello'));
    const replaced = rows.length === 3 && rows.every((r) => r.id !== victim.id);
    return replaced ? rows : undefined;
  });
  const fresh = after.find((r) => !before.some((b) => b.id === r.id));
  assert.ok(fresh !== undefined, 'one instance is new');

  const logs = await eventually('the replacement to greet', async () => {
    const text = await tend('logs', 'hello');
    return text.includes(`[${fresh.id}] hello from process ${fresh.pid}`) ? text : undefined;
  });
  for (const row of after) assert.match(logs, new RegExp(`^\\[${row.id}\\] `, 'm'));
  // The killed instance's output stays readable after the heal, without a prefix for one instance.
  assert.match(
    await tend('logs', victim.id, '--tail', '50'),
    new RegExp(`^hello from process ${victim.pid}$`, 'm'),
  );

  await applyText('hi.yaml', example.replace('GREETING: hello', 'GREETING: hi'));
  await tend('rollout', 'status', 'hello', '--timeout', '4m');
  await eventually('the new config to greet', async () =>
    /\] hi from process \d+/.test(await tend('logs', 'hello', '--tail', '100')) ? true : undefined,
  );

  const broken = example
    .replace('GREETING: hello', 'GREETING: broken')
    .replace('- while true; do echo "heartbeat from $$"; sleep 5; done', '- exit 3')
    .replace(
      'health: { grace: 2s, unhealthyAfter: 10s, maxInFlight: 1 }',
      'health: { grace: 1s, unhealthyAfter: 2s, maxInFlight: 1 }',
    )
    // Gives up on the broken config soon; the default 2m would make this test wait that long.
    .replace('timeout: 2m', 'timeout: 20s');
  assert.notEqual(broken, example);
  await applyText('broken.yaml', broken);
  const followed = await runCli(['rollout', 'status', 'hello', '--timeout', '4m'], env);
  assert.notEqual(followed.code, 0, followed.stdout);
  assert.match(followed.stdout, /hello: (rolled back|rollout failed)/);
});
