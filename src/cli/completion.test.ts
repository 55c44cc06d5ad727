// `tend completion bash`: the script is generated from the registered commands; run it in a real
// bash with `tend` stubbed (group names come from `tend __complete groups` at tab time).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { Command } from 'commander';
import { completionScript } from './commands/completion.js';
import { registerCommands } from './commands/index.js';

async function script(shell: 'bash' | 'zsh'): Promise<string> {
  const program = new Command('tend').option('-o, --output <format>');
  await registerCommands(program, ['completion']);
  return completionScript(program, shell);
}

function candidates(bashScript: string, ...words: string[]): string[] {
  const stub = 'tend() { [ "$1 $2" = "__complete groups" ] && printf "hello\\nworkers\\n"; }';
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const out = execFileSync('bash', ['-c', `${stub}\n${bashScript}\n_tend_candidates ${quoted}`], {
    encoding: 'utf8',
  });
  return out.split(/\s+/).filter((w) => w !== '');
}

test('bash completion: commands, subcommands, flags, -o values, group names', async () => {
  const bash = await script('bash');
  assert.ok(candidates(bash, '').includes('status'));
  assert.ok(candidates(bash, '').includes('completion'));
  assert.ok(!candidates(bash, '').includes('__complete'), 'hidden commands stay hidden');
  assert.deepEqual(candidates(bash, '', 'rollout'), ['status', 'pause', 'resume', 'undo']);
  assert.deepEqual(candidates(bash, '', 'rollout', 'undo'), ['hello', 'workers']);
  assert.deepEqual(candidates(bash, '', '-o', 'json', 'describe'), ['hello', 'workers']);
  assert.deepEqual(candidates(bash, '', '-o'), ['table', 'wide', 'json', 'yaml']);
  assert.ok(candidates(bash, '--', 'status').includes('--watch'));
  assert.ok(candidates(bash, '--', 'status', '--manager', 'http://x:1').includes('--context'));
  assert.deepEqual(candidates(bash, '', 'events', '--group'), ['hello', 'workers']);
  // apply -f's file is no subcommand: nothing offered, so bash falls back to file names.
  assert.deepEqual(candidates(bash, '', 'apply', '-f', 'x.yaml'), []);
  assert.match(bash, /complete -o default -F _tend tend/);
  execFileSync('bash', ['-n', '-c', bash]); // parses
  assert.match(await script('zsh'), /^#compdef tend\n[\s\S]*compdef _tend tend\n$/);
});
