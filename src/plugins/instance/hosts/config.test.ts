import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TendError } from '../../../spi/index.js';
import { describeSelector, hostMatches, parseHostsConfig, parseHostsProperties } from './config.js';

const pool = [
  { name: 'a', address: '10.0.0.1', keyFile: '/k', labels: { rack: 'r1' } },
  { name: 'b', address: '10.0.0.2', keyFile: '/k', port: 2222, user: 'ops' },
];

test('a pool config gets its defaults', () => {
  const config = parseHostsConfig({ pool, knownHostsFile: '/kh' });
  assert.equal(config.claimDir, '/var/lib/tend');
  assert.equal(config.resetScript, 'true');
  assert.deepEqual(
    config.pool.map((h) => [h.name, h.port, h.user]),
    [
      ['a', 22, 'root'],
      ['b', 2222, 'ops'],
    ],
  );
});

test('config errors name the place', () => {
  const bad = (raw: unknown, pattern: RegExp) =>
    assert.throws(
      () => parseHostsConfig(raw, 'plugins[0]'),
      (e: unknown) => TendError.is(e, 'invalid_spec') && pattern.test(e.message),
    );
  bad({ pool: [], knownHostsFile: '/kh' }, /plugins\[0\]\.pool: expected at least one host/);
  bad(
    { pool: [pool[0], pool[0]], knownHostsFile: '/kh' },
    /plugins\[0\]\.pool\[1\]\.name: host name a used twice/,
  );
  bad(
    { pool: [{ ...pool[0], name: 'a b' }], knownHostsFile: '/kh' },
    /pool\[0\]\.name: expected a host name/,
  );
  bad({ pool, knownHostsFile: '/kh', claimDir: 'relative/dir' }, /claimDir: expected an absolute path/);
  bad({ pool, knownHostsFile: '/kh', claimDir: '/var/$(reboot)' }, /claimDir: expected an absolute path/);
  bad({ pool: [{ ...pool[0], port: 0 }], knownHostsFile: '/kh' }, /pool\[0\]\.port/);
  bad({ pool }, /knownHostsFile/);
  bad({ pool, knownHostsFile: '/kh', bogus: 1 }, /plugins\[0\]\.bogus: unknown key/);
});

test('properties select hosts by labels and names', () => {
  const [a, b] = parseHostsConfig({ pool, knownHostsFile: '/kh' }).pool;
  assert.ok(a && b);
  const r1 = parseHostsProperties({ labels: { rack: 'r1' } });
  assert.equal(hostMatches(a, r1), true);
  assert.equal(hostMatches(b, r1), false);
  assert.equal(hostMatches(b, parseHostsProperties({ hosts: ['b'] })), true);
  assert.equal(hostMatches(a, parseHostsProperties(undefined)), true);
  assert.equal(describeSelector(r1), 'labels {rack=r1}');
  assert.equal(describeSelector(parseHostsProperties({}), 'b'), 'host b');
  assert.equal(describeSelector(parseHostsProperties({})), 'any host');
  assert.throws(() => parseHostsProperties({ label: {} }), /properties\.label: unknown key/);
});
