// CLI conventions of #12 that need no manager: --version, one error style with exit codes,
// --manager checked, colours only where wanted, logs' prefixes and --since.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colourEnabled, paint } from './colour.js';
import { managerUrl, tokenPlaces } from './commands/connection.js';
import { PrefixPrinter, parseSince } from './commands/logs.js';
import { runCli as cli } from './testing/run-cli.js';

test('tend --version prints the package version; a usage error is `tend: …` with exit 2', async () => {
  const version = await cli(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  const usage = await cli(['status', '--bogus']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^tend: unknown option '--bogus'/);
  assert.doesNotMatch(usage.stderr, /^error:/m);
  const notUrl = await cli(['status', '--manager', 'notaurl']);
  assert.equal(notUrl.code, 1);
  assert.match(notUrl.stderr, /^tend: --manager "notaurl": expected a URL like http:\/\/127\.0\.0\.1:7420/);
});

test('--manager takes http(s) URLs and host:port, nothing else', () => {
  assert.equal(managerUrl('http://127.0.0.1:7420/'), 'http://127.0.0.1:7420');
  assert.equal(managerUrl('https://tend.example:8443'), 'https://tend.example:8443');
  assert.equal(managerUrl('localhost:7420'), 'http://localhost:7420');
  for (const bad of ['notaurl', 'ftp://x', 'http://', '', 'a b:1'])
    assert.throws(() => managerUrl(bad), /--manager/);
  assert.match(tokenPlaces({ TEND_HOME: '/h' }), /--token, \$TEND_TOKEN and \/h\/admin\.token/);
});

test('colour only on a terminal, never with NO_COLOR', () => {
  assert.equal(colourEnabled({ isTTY: true }, {}), true);
  assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(colourEnabled({ isTTY: false }, {}), false);
  assert.equal(colourEnabled({ isTTY: true }, { TERM: 'dumb' }), false);
  assert.equal(paint('x', 'red', false), 'x');
  assert.equal(paint('x', 'red', true), '\u001b[31mx\u001b[0m');
});

test('logs print whole lines with a prefix per instance; --since takes durations and times', () => {
  const out: string[] = [];
  const printer = new PrefixPrinter(true, { colour: false, out: (t) => out.push(t) });
  printer.write('a', 'one\ntw', false);
  printer.write('b', 'x\n', false);
  printer.write('a', 'o\n', false);
  printer.write('b', 'last', true);
  assert.deepEqual(out, ['[a] one\n', '[b] x\n', '[a] two\n', '[b] last\n']);
  assert.equal(parseSince('10m', 1_000_000_000), 1_000_000_000 - 600_000);
  assert.equal(parseSince('2026-01-02T03:04:05Z'), Date.parse('2026-01-02T03:04:05Z'));
  assert.throws(() => parseSince('yesterday'), /--since/);
});

test('tend --version loads no command (it prints one line; every command would load etcd and zod)', async () => {
  const { Command } = await import('commander');
  const { registerCommands } = await import('./commands/index.js');
  const program = new Command('tend');
  await registerCommands(program, ['--version']);
  assert.equal(program.commands.length, 0);
  await registerCommands(program, ['status', '--version']);
  assert.deepEqual(
    program.commands.map((c) => c.name()),
    ['status', 'describe'],
  );
});
