// Named contexts in $TEND_HOME/config.yaml: parsing, selection, and what wins over what.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectionFor } from './commands/connection.js';
import { loadConfig, parseConfig, selectContext } from './commands/contexts.js';
import { runCli as cli } from './testing/run-cli.js';

test('a config names contexts; bad keys are refused naming the place', () => {
  const config = parseConfig(
    { current: 'a', contexts: { a: { manager: 'http://a:1', tokenFile: 't' }, b: { token: 'x' } } },
    '/h/config.yaml',
  );
  assert.equal(config.current, 'a');
  assert.deepEqual(config.contexts.get('a'), { name: 'a', manager: 'http://a:1', tokenFile: 't' });
  assert.throws(
    () => parseConfig({ contexts: { a: { manger: 'x' } } }, '/h/config.yaml'),
    /\/h\/config\.yaml: contexts\.a\.manger: unknown key \(expected one of: manager, token, tokenFile, ca\)/,
  );
  assert.throws(() => parseConfig({ contexts: { a: { token: 'x', tokenFile: 'y' } } }, 'f'), /not both/);
  assert.equal(selectContext(config, undefined)?.name, 'a');
  assert.equal(selectContext(config, 'b')?.name, 'b');
  assert.throws(() => selectContext(config, 'c'), /no context named "c": \/h\/config\.yaml has a, b/);
  assert.equal(selectContext(undefined, undefined), undefined);
});

test('flags win over the context; a remote context never gets the local admin token', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tend-ctx-'));
  try {
    await writeFile(join(dir, 'prod.token'), 'tend_prod\n');
    const file = join(dir, 'config.yaml');
    const prod = { name: 'prod', manager: 'https://prod:7420', tokenFile: 'prod.token' };
    assert.deepEqual(connectionFor({}, prod, file), {
      url: 'https://prod:7420',
      token: 'tend_prod',
      places: '--token, $TEND_TOKEN and context prod',
    });
    const flags = connectionFor({ manager: 'http://other:1', token: 'tend_flag' }, prod, file);
    assert.equal(flags.url, 'http://other:1');
    assert.equal(flags.token, 'tend_flag');
    const remote = connectionFor({}, { name: 'r', manager: 'http://r:1' }, file);
    assert.equal(remote.token, undefined);
    assert.throws(
      () => connectionFor({}, { name: 'x', tokenFile: 'missing' }, file),
      /context x tokenFile: cannot read/,
    );
    assert.throws(() => connectionFor({ ca: join(dir, 'none.pem') }, undefined, file), /--ca: cannot read/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('tend context ls and use; --context picks a manager', async () => {
  const home = await mkdtemp(join(tmpdir(), 'tend-ctx-home-'));
  try {
    const file = join(home, 'config.yaml');
    await writeFile(
      file,
      '# mine\ncontexts:\n  far: { manager: "http://127.0.0.1:9" }\n  near: { token: abc }\n',
      {
        mode: 0o600,
      },
    );
    const env = { TEND_HOME: home };
    const ls = await cli(['context', 'ls'], env);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /CURRENT\s+NAME\s+MANAGER\s+TOKEN/);
    assert.doesNotMatch(ls.stdout, /abc/, 'a token is never printed');
    const use = await cli(['context', 'use', 'far'], env);
    assert.equal(use.code, 0, use.stderr);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^# mine\n/, 'comments stay');
    assert.equal((await loadConfig(file))?.current, 'far');
    const status = await cli(['status'], env);
    assert.match(status.stderr, /cannot reach a Tend manager at http:\/\/127\.0\.0\.1:9/);
    const unknown = await cli(['status', '--context', 'nope'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^tend: no context named "nope": .*config\.yaml has far, near/);
    assert.equal((await cli(['context', 'use', 'nope'], env)).code, 1);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
