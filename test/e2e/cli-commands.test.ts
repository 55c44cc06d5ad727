// The `tend` CLI against a real manager process: every command once, in table and JSON form,
// plus the errors a user meets first (bad spec, unknown group, no manager running).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import {
  cliEntry,
  e2eWorkspace,
  eventually,
  liveInstances,
  ManagerProcess,
  runCli,
} from '../support/manager.js';

const spec = (greeting: string, size = 2) => `
groups:
  - id: cli
    allocation: { size: ${size} }
    instance: { plugin: process, properties: { env: { GREETING: ${greeting} } } }
    flavor: { plugin: vanilla, properties: { init: ['echo $GREETING', 'while true; do sleep 1; done'] } }
    health: { grace: 1s, unhealthyAfter: 2s }
    update: { maxSurge: 1, maxUnavailable: 0, healthyFor: 300ms, timeout: 2m, onFailure: pause }
`;

let workspace: Awaited<ReturnType<typeof e2eWorkspace>>;
let manager: ManagerProcess;
let env: NodeJS.ProcessEnv;

before(async () => {
  workspace = await e2eWorkspace('cli');
  manager = await ManagerProcess.start({ name: 'cli', dir: workspace.dir, stateDir: workspace.stateDir });
  workspace.managers.push(manager);
  env = { TEND_MANAGER: manager.url, TEND_TOKEN: manager.token, TEND_AUTHOR: 'ann' };
  await eventually('the manager to lead', async () => ((await manager.isLeader()) ? true : undefined));
});

after(async () => {
  await workspace.cleanup();
});

/** Runs a `--watch` command until it has drawn `count` frames, then sends it Ctrl-C (SIGINT). */
function watchFrames(args: string[], count: number): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let interrupted = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // Once: a frame drawn after the Ctrl-C must not send a second one, which (like a second
      // Ctrl-C at a terminal) is allowed to end the process the hard way.
      if (!interrupted && (stdout.match(/^leader: /gm) ?? []).length >= count) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

async function tend(...args: string[]) {
  const result = await runCli(args, env);
  assert.equal(result.code, 0, `tend ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

test('apply, plan, status, describe, scale, rollout, history, destroy', { timeout: 300_000 }, async () => {
  const v1 = join(workspace.dir, 'v1.yaml');
  const v2 = join(workspace.dir, 'v2.yaml');
  await writeFile(v1, spec('hello'));
  await writeFile(v2, spec('bonjour'));

  const applied = await tend('apply', '-f', v1, '--timeout', '2m');
  assert.match(applied, /cli: created \(revision 1/);
  assert.match(applied, /converged/);
  assert.equal(liveInstances(workspace.stateDir, 'cli').length, 2);

  const plan = await tend('plan', '-f', v2);
  assert.match(plan, /rolling update of 2 instance\(s\)/);
  const planJson = JSON.parse(await tend('-o', 'json', 'plan', '-f', v2));
  assert.equal(planJson.dryRun, true);
  assert.match(
    plan,
    /^ {2}instance\.properties\.env\.GREETING: "hello" → "bonjour"\n {2}create 2, destroy 2/m,
  );
  assert.deepEqual(planJson.plan[0].fields, [
    { path: 'instance.properties.env.GREETING', from: 'hello', to: 'bonjour' },
  ]);
  assert.equal((await manager.client.history('cli')).revisions.length, 1, 'plan commits nothing');

  assert.match(await tend('status'), /cli\s+2\s+2\s+2\s+\S+\s+converged/);
  const status = JSON.parse(await tend('--output', 'json', 'status'));
  assert.equal(status.groups[0].id, 'cli');
  assert.match(await tend('describe', 'cli'), /INSTANCE\s+LOGICAL\s+HEALTH/);
  const yamlStatus = parse(await tend('-o', 'yaml', 'status'));
  assert.equal(yamlStatus.groups[0].id, 'cli');
  assert.match(await tend('-o', 'wide', 'status'), /CONFIGS\s+BREAKER\s+LAST TICK\n/);
  assert.match(await tend('-o', 'wide', 'describe', 'cli'), /tend\.group=cli/);
  assert.equal(parse(await tend('-o', 'yaml', 'describe', 'cli')).id, 'cli');
  assert.equal(parse(await tend('-o', 'yaml', 'history', 'cli')).revisions.length, 1);
  assert.ok(Array.isArray(JSON.parse(await tend('-o', 'json', 'events', '--group', 'cli')).events));
  assert.match(await tend('events', '--group', 'cli'), /^TIME\s+TYPE\s+GROUP\/INSTANCE\s+MESSAGE\n/);
  const frames = await watchFrames(['status', '--watch', '0.2'], 2);
  assert.equal(frames.code, 0, 'Ctrl-C ends --watch cleanly');
  assert.ok((frames.stdout.match(/^leader: /gm) ?? []).length >= 2, frames.stdout);

  await tend('apply', '-f', v2);
  assert.match(await tend('rollout', 'status', 'cli'), /cli: /);
  assert.match(await tend('scale', 'cli', '3'), /cli scaled to 3 \(revision 3\)/);
  await eventually('3 instances', () =>
    liveInstances(workspace.stateDir, 'cli').length === 3 ? true : undefined,
  );
  // Spec commits are events: who (author, token), what, which revision; BY shows the author.
  const commits = (await tend('-o', 'wide', 'events', '--group', 'cli'))
    .split('\n')
    .filter((line) => /\scommitted\s/.test(line));
  assert.equal(commits.length, 3, commits.join('\n'));
  assert.match(
    commits[0] ?? '',
    /\scommitted\s+ann\s+cli {2}revision 1 by ann \(token \S+\): apply \(created\) — tend apply -f \S+v1\.yaml$/,
  );
  assert.match(
    commits[1] ?? '',
    /\scommitted\s+ann\s+cli {2}revision 2 by ann \(token \S+\): apply \(updated\) — tend apply -f \S+v2\.yaml$/,
  );
  assert.match(
    commits[2] ?? '',
    /\scommitted\s+ann\s+cli {2}revision 3 by ann \(token \S+\): scale to 3 — tend scale cli 3$/,
  );
  const scaleEvent = JSON.parse(await tend('-o', 'json', 'events', '--group', 'cli')).events.findLast(
    (e: { type: string }) => e.type === 'committed',
  );
  assert.deepEqual(
    [scaleEvent.data.action, scaleEvent.data.revision, scaleEvent.data.author],
    ['scale', 3, 'ann'],
  );
  assert.match(await tend('rollout', 'pause', 'cli'), /paused/);
  assert.match(await tend('rollout', 'resume', 'cli'), /resumed/);
  assert.match(await tend('rollout', 'undo', 'cli'), /back to revision 2/);
  const history = await tend('history', 'cli');
  assert.equal(history.trim().split('\n').length, 5, history);

  assert.match(await tend('destroy', 'cli'), /cli destroyed/);
  await eventually('no instances', () =>
    liveInstances(workspace.stateDir, 'cli').length === 0 ? true : undefined,
  );
});

test('errors say what went wrong and exit 1', async () => {
  const bad = join(workspace.dir, 'bad.yaml');
  await writeFile(bad, 'groups: [{ id: x, allocation: { size: -2 } }]');
  const invalid = await runCli(['apply', '-f', bad], env);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /^tend: .*groups\[0\]\.allocation\.size/);

  const typo = join(workspace.dir, 'typo.yaml');
  await writeFile(typo, spec('hi').replace('plugin: vanilla', 'plugin: vanila'));
  const misspelled = await runCli(['plan', '-f', typo], env);
  assert.equal(misspelled.code, 1);
  assert.match(
    misspelled.stderr,
    /^tend: group cli: flavor\.plugin: unknown flavor plugin "vanila" \(did you mean vanilla\?\); built in: vanilla, combo, etcd, zookeeper, kubeadm, swarm; and /,
  );

  const unitless = join(workspace.dir, 'unitless.yaml');
  await writeFile(unitless, spec('hi').replace('unhealthyAfter: 2s', 'unhealthyAfter: 10'));
  const bare = await runCli(['apply', '-f', unitless], env);
  assert.equal(bare.code, 1);
  assert.match(
    bare.stderr,
    /groups\[0\]\.health\.unhealthyAfter: a duration needs a unit: write "10s" or "10ms"/,
  );

  const missing = await runCli(['-o', 'json', 'describe', 'nope'], env);
  assert.equal(missing.code, 1);
  assert.deepEqual(JSON.parse(missing.stdout), { error: { message: 'no group nope', kind: 'not_found' } });

  const down = await runCli(['status', '--manager', 'http://127.0.0.1:9'], {});
  assert.equal(down.code, 1);
  assert.match(
    down.stderr,
    /cannot reach a Tend manager at http:\/\/127\.0\.0\.1:9 \(start one with `tend up`\)/,
  );
});

test('free forgets a group and leaves its instances running', async () => {
  const file = join(workspace.dir, 'free.yaml');
  await writeFile(file, spec('stay', 1).replace('id: cli', 'id: kept'));
  await tend('apply', '-f', file);
  assert.match(await tend('free', 'kept'), /kept freed; its instances keep running/);
  assert.equal(liveInstances(workspace.stateDir, 'kept').length, 1);
});
