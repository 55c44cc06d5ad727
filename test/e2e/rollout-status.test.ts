// `tend rollout status` follows a rollout like `kubectl rollout status`: exit 0 when done, exit 1
// when it failed or rolled back; an operator's pause shows as paused. Plus the `events` flags that
// used to print everything on bad input.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { e2eWorkspace, eventually, ManagerProcess, runCli } from '../support/manager.js';

const spec = (version: string, init: string) => `
groups:
  - id: follow
    allocation: { size: 2 }
    instance: { plugin: process }
    flavor: { plugin: vanilla, properties: { init: ['echo ${version}', '${init}'] } }
    health: { grace: 1s, unhealthyAfter: 2s }
    update: { maxSurge: 1, maxUnavailable: 0, healthyFor: 500ms, timeout: 1m, onFailure: rollback }
`;
const RUNS = 'while true; do sleep 1; done';

let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
let manager: ManagerProcess;
let env: NodeJS.ProcessEnv;

before(async () => {
  workspace = await e2eWorkspace('rollout-status');
  manager = await ManagerProcess.start({ name: 'rs', dir: workspace.dir, stateDir: workspace.stateDir });
  workspace.managers.push(manager);
  env = { TEND_MANAGER: manager.url, TEND_TOKEN: manager.token };
  await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
});

after(async () => {
  await workspace.cleanup();
});

async function applyFile(name: string, text: string): Promise<void> {
  const file = join(workspace.dir, name);
  await writeFile(file, text);
  const applied = await runCli(['apply', '-f', file, '--no-wait'], env);
  assert.equal(applied.code, 0, applied.stderr);
}

test('rollout status waits for a good rollout and exits 0', { timeout: 300_000 }, async () => {
  await applyFile('v1.yaml', spec('v1', RUNS));
  const first = await runCli(['rollout', 'status', 'follow'], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /follow: rollout done, 2\/2 healthy/);

  await applyFile('v2.yaml', spec('v2', RUNS));
  const once = await runCli(['rollout', 'status', 'follow', '--no-wait'], env);
  assert.equal(once.code, 0, once.stderr);
  assert.equal(once.stdout.trim().split('\n').length, 1, 'one look prints one line');
  const followed = await runCli(['rollout', 'status', 'follow'], env);
  assert.equal(followed.code, 0, followed.stderr);
  assert.match(followed.stdout, /rollout done, 2\/2 healthy/);
  const json = await runCli(['-o', 'json', 'rollout', 'status', 'follow'], env);
  assert.equal(JSON.parse(json.stdout).verdict, 'done');
});

test("an operator's pause shows as paused, and a timeout gives up with exit 1", {
  timeout: 300_000,
}, async () => {
  assert.equal((await runCli(['rollout', 'pause', 'follow'], env)).code, 0);
  const paused = await runCli(['rollout', 'status', 'follow', '--timeout', '2s'], env);
  assert.equal(paused.code, 1, 'gave up waiting');
  assert.match(paused.stdout, /follow: paused by an operator/);
  assert.match(paused.stdout, /gave up waiting/);
  assert.equal((await runCli(['rollout', 'resume', 'follow'], env)).code, 0);
});

test('a broken rollout that rolls back makes rollout status exit 1', { timeout: 300_000 }, async () => {
  await applyFile('broken.yaml', spec('v3', 'exit 3'));
  const followed = await runCli(['rollout', 'status', 'follow', '--timeout', '4m'], env);
  assert.equal(followed.code, 1, followed.stdout);
  assert.match(followed.stdout, /follow: (rolled back|rollout failed)/);
});

test('events refuses a bad --limit and an unknown --group', async () => {
  for (const limit of ['abc', '0', '-3']) {
    const result = await runCli(['events', '--limit', limit], env);
    assert.equal(result.code, 1, `--limit ${limit}`);
    assert.match(result.stderr, /--limit: expected a whole number/);
  }
  const unknown = await runCli(['events', '--group', 'nosuch'], env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /nosuch/);
});
