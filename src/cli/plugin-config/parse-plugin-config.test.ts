import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { DEFAULT_PLUGIN_LIMITS } from '../../group/index.js';
import { silentLogger, VirtualClock } from '../../lib/index.js';
import { TendError } from '../../spi/index.js';
import { BuiltinPluginResolver } from '../builtin-plugins.js';
import { BUILTIN_PLUGIN_KINDS } from './builtin-kinds.js';
import { definePluginKind } from './define-kind.js';
import { loadPluginConfig, MAX_PLUGIN_CONFIG_BYTES, parsePluginConfig } from './parse-plugin-config.js';

/** A kind shaped like a cloud's: required region, its own default limits. */
const cloudKind = definePluginKind({
  kind: 'cloud',
  summary: 'test cloud',
  configSchema: z.strictObject({ region: z.string().min(1), endpoint: z.url().optional() }),
  defaultLimits: { ratePerSec: 5, burst: 10, concurrency: 4 },
  create: async () => {
    throw new Error('not created in these tests');
  },
});
const kinds = [...BUILTIN_PLUGIN_KINDS, cloudKind];

/** The error's lines after the first ("invalid plugin config in FILE:"). */
function problemsOf(text: string): string[] {
  try {
    parsePluginConfig(text, { source: 'plugins.yaml', kinds });
  } catch (error) {
    assert.ok(TendError.is(error, 'invalid_spec'), String(error));
    const [first, ...rest] = error.message.split('\n');
    assert.equal(first, 'invalid plugin config in plugins.yaml:');
    assert.equal(error.details.source, 'plugins.yaml');
    return rest;
  }
  assert.fail('expected the document to be refused');
}

describe('parsePluginConfig', () => {
  test('sections by name, with kind defaults and per-section limit overrides', () => {
    const config = parsePluginConfig(
      `plugins:
  cloud-east:
    kind: cloud
    limits: { ratePerSec: 2 }
    config: { region: us-east-1, endpoint: "http://127.0.0.1:5000" }
  cloud-west:
    kind: cloud
    config: { region: us-west-2 }
  sim-a:
    kind: simulator
    config: { seed: 7, latencyMs: { min: 1, max: 5 } }
`,
      { kinds },
    );
    assert.deepEqual([...config.plugins.keys()], ['cloud-east', 'cloud-west', 'sim-a']);
    assert.deepEqual(config.plugins.get('cloud-east')?.limits, { ratePerSec: 2, burst: 10, concurrency: 4 });
    assert.deepEqual(config.plugins.get('cloud-west')?.limits, { ratePerSec: 5, burst: 10, concurrency: 4 });
    assert.deepEqual(config.plugins.get('sim-a')?.limits, DEFAULT_PLUGIN_LIMITS);
    assert.equal(config.plugins.get('sim-a')?.kind, 'simulator');
  });

  test('JSON is read as well, and an empty plugins map is allowed', () => {
    assert.equal(parsePluginConfig('{"plugins": {}}').plugins.size, 0);
  });

  test('a problem in a kind config names the file, the YAML path and the problem', () => {
    assert.deepEqual(
      problemsOf(`plugins:
  cloud-east:
    kind: cloud
    config: { region: 5, zone: a }
`),
      [
        'plugins.cloud-east.config.region: expected string, received number',
        'plugins.cloud-east.config.zone: Unrecognized key: "zone"',
      ],
    );
    assert.deepEqual(problemsOf('plugins:\n  cloud-east:\n    kind: cloud\n'), [
      'plugins.cloud-east.config.region: expected string, received undefined',
    ]);
  });

  test('an unknown kind lists the known ones', () => {
    assert.deepEqual(problemsOf('plugins:\n  x:\n    kind: ec3\n'), [
      'plugins.x.kind: unknown kind "ec3" (known kinds: process, simulator, docker, ec2, hosts, cloud)',
    ]);
    assert.deepEqual(problemsOf('plugins:\n  x: { config: {} }\n'), [
      'plugins.x.kind: required: expected the name of a built-in kind (known kinds: process, simulator, docker, ec2, hosts, cloud)',
    ]);
  });

  test('bad limits, unknown keys and bad names are each named', () => {
    assert.deepEqual(
      problemsOf(`plugins:
  a:
    kind: simulator
    limits: { ratePerSec: 0, burst: 1.5, concurency: 2 }
    confg: {}
  "bad/name": { kind: simulator }
extra: 1
`),
      [
        'extra: unknown key (expected only "plugins")',
        'plugins.a.confg: unknown key (expected one of: kind, limits, config)',
        'plugins.a.limits.ratePerSec: expected calls per second above 0, got 0',
        'plugins.a.limits.burst: expected a whole number ≥ 1, got 1.5',
        'plugins.a.limits.concurency: unknown key (did you mean "concurrency"?)',
        'plugins["bad/name"]: a plugin name is 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit ("/" would read as lookup/type)',
      ],
    );
  });

  test("a built-in's name keeps its kind: it may be reconfigured, not repointed", () => {
    const config = parsePluginConfig('plugins:\n  simulator: { kind: simulator, config: { seed: 3 } }\n');
    assert.equal(config.plugins.get('simulator')?.kind, 'simulator');
    assert.deepEqual(problemsOf('plugins:\n  docker: { kind: simulator }\n'), [
      'plugins.docker: "docker" is the name of the built-in docker plugin, so its kind must be docker; choose another name for a simulator plugin',
    ]);
  });

  test('not a map, empty, bad YAML', () => {
    assert.deepEqual(problemsOf(''), ['document is empty (expected "plugins:" with one section per plugin)']);
    assert.deepEqual(problemsOf('plugins: [a, b]'), [
      'plugins: expected a map from plugin names to sections, got a list',
    ]);
    assert.deepEqual(problemsOf('plugins:\n  a: 3\n'), [
      'plugins.a: expected a section with "kind" (and optional "limits", "config"), got 3',
    ]);
    const [yaml] = problemsOf('plugins:\n  a: { kind: simulator\n');
    assert.match(yaml ?? '', /^invalid YAML at line \d+, column \d+: /);
    assert.deepEqual(problemsOf('plugins:\n  a: {kind: simulator}\n  a: {kind: process}\n').length, 1);
  });
});

describe('loadPluginConfig', () => {
  test('names the file; a missing or oversized file is refused before parsing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tend-plugin-config-'));
    try {
      const file = join(dir, 'plugins.yaml');
      await assert.rejects(loadPluginConfig(file), (error: unknown) => {
        return (
          TendError.is(error, 'invalid_spec') &&
          error.message.startsWith(`cannot read the plugin config ${file}: `)
        );
      });
      await writeFile(file, `plugins: {}\n# ${'x'.repeat(MAX_PLUGIN_CONFIG_BYTES)}\n`);
      await assert.rejects(loadPluginConfig(file), /the limit is 256 KiB/);
      await writeFile(file, 'plugins:\n  s: { kind: simulator, config: { seed: x } }\n');
      await assert.rejects(
        loadPluginConfig(file),
        (error: unknown) =>
          error instanceof Error &&
          error.message ===
            `invalid plugin config in ${file}:\nplugins.s.config.seed: expected number, received string`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('BuiltinPluginResolver with a plugin config', () => {
  const clock = new VirtualClock();
  const base = {
    stateDir: '/nonexistent/process',
    pluginDir: '/nonexistent/plugins',
    logger: silentLogger,
    clock,
  };

  test('serves sections by name and answers their limits; built-ins keep the default', async () => {
    const pluginConfig = parsePluginConfig(
      'plugins:\n  sim-a: { kind: simulator, limits: { concurrency: 2 }, config: { seed: 5 } }\n',
    );
    const resolver = new BuiltinPluginResolver({ ...base, pluginConfig });
    try {
      assert.equal(resolver.isKnown('instance', 'sim-a'), true);
      assert.equal(resolver.isKnown('instance', 'sim-b'), false);
      assert.deepEqual(resolver.limitsFor('sim-a'), { ...DEFAULT_PLUGIN_LIMITS, concurrency: 2 });
      assert.equal(resolver.limitsFor('simulator'), undefined);
      assert.equal(resolver.limitsFor('some-socket'), undefined);
      const a = await resolver.instance('sim-a');
      const b = await resolver.instance('simulator');
      assert.notEqual(a, b, 'a configured copy is a plugin of its own');
      assert.equal(await resolver.instance('sim-a'), a);
    } finally {
      await resolver.close();
    }
  });

  test('a kind that needs config is not served under its own name without a section, and says so', async () => {
    const resolver = new BuiltinPluginResolver({ ...base, kinds });
    await assert.rejects(
      resolver.instance('cloud'),
      (error: unknown) =>
        TendError.is(error, 'invalid_spec') &&
        /^the cloud plugin needs configuration \(.+\): add a section with kind: cloud/.test(error.message),
    );
    assert.deepEqual(resolver.limitsFor('cloud'), { ratePerSec: 5, burst: 10, concurrency: 4 });
  });
});

test('the example plugin config parses', async () => {
  const file = new URL('../../../examples/plugin-config/simulators.yaml', import.meta.url).pathname;
  const config = await loadPluginConfig(file);
  assert.deepEqual([...config.plugins.keys()], ['sim-east', 'sim-west']);
});
