import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type JsonValue, TendError } from '../../../spi/index.js';
import { memoryBytes, parseDockerProperties } from './properties.js';

function rejectsWith(input: JsonValue | undefined, pattern: RegExp, defaults = {}): void {
  assert.throws(
    () => parseDockerProperties(input, defaults),
    (error: unknown) => TendError.is(error, 'invalid_spec') && pattern.test(error.message),
  );
}

test('accepts every documented property', () => {
  const parsed = parseDockerProperties({
    image: 'local/app:1',
    command: ['sleep', '5'],
    env: { A: '1', B_2: 'x=y' },
    mounts: [{ source: '/srv/data', target: '/data', readOnly: true }],
    networkMode: 'none',
    resources: { memory: '64m', cpus: 0.5 },
    restartPolicy: 'on-failure',
  });
  assert.deepEqual(parsed, {
    image: 'local/app:1',
    command: ['sleep', '5'],
    env: { A: '1', B_2: 'x=y' },
    mounts: [{ source: '/srv/data', target: '/data', readOnly: true }],
    networkMode: 'none',
    resources: { memory: '64m', cpus: 0.5 },
    restartPolicy: 'on-failure',
  });
});

test('defaults fill what the spec leaves out, and the spec wins', () => {
  const parsed = parseDockerProperties({ image: 'a:1' }, { networkMode: 'none', image: 'default:1' });
  assert.deepEqual(parsed, { image: 'a:1', networkMode: 'none' });
  assert.deepEqual(parseDockerProperties(undefined, { image: 'default:1' }), { image: 'default:1' });
});

test('the image is required', () => {
  rejectsWith({}, /properties\.image: required/);
  rejectsWith(undefined, /properties\.image: required/);
  rejectsWith({ image: '' }, /properties\.image: must not be empty/);
});

test('unknown properties are named', () => {
  rejectsWith({ image: 'a', colour: 'blue' }, /properties: unknown property "colour"/);
  rejectsWith({ image: 'a', resources: { disk: '1g' } }, /properties\.resources: unknown property "disk"/);
});

test('a malformed mount names its index and field', () => {
  rejectsWith(
    {
      image: 'a',
      mounts: [
        { source: '/ok', target: '/ok' },
        { source: 'data', target: '/data' },
      ],
    },
    /properties\.mounts\[1\]\.source: expected an absolute host path, got "data"/,
  );
  rejectsWith({ image: 'a', mounts: [{ source: '/a', target: 'rel' }] }, /properties\.mounts\[0\]\.target/);
  rejectsWith({ image: 'a', mounts: [{ source: '/a' }] }, /properties\.mounts\[0\]\.target/);
  rejectsWith(
    { image: 'a', mounts: [{ source: '/a', target: '/b', ro: true }] },
    /mounts\[0\]: unknown property "ro"/,
  );
});

test('resources, restart policy, env and command are checked', () => {
  rejectsWith(
    { image: 'a', resources: { memory: '64 MB' } },
    /properties\.resources\.memory: expected a size/,
  );
  rejectsWith({ image: 'a', resources: { cpus: 0 } }, /properties\.resources\.cpus/);
  rejectsWith({ image: 'a', restartPolicy: 'sometimes' }, /properties\.restartPolicy/);
  rejectsWith({ image: 'a', env: { A: 1 } }, /properties\.env\.A: expected a string value/);
  rejectsWith({ image: 'a', command: 'sleep 5' }, /properties\.command/);
  rejectsWith({ image: 'a', networkMode: '' }, /properties\.networkMode/);
});

test('properties must be an object', () => {
  rejectsWith(null, /properties: expected an object, got null/);
  rejectsWith(['a'], /properties: expected an object, got an array/);
  rejectsWith('a', /properties: expected an object, got a string/);
});

test('every problem is reported at once', () => {
  assert.throws(
    () => parseDockerProperties({ colour: 'x', restartPolicy: 'x' }),
    (error: unknown) =>
      TendError.is(error, 'invalid_spec') &&
      /properties\.image/.test(error.message) &&
      /colour/.test(error.message) &&
      /restartPolicy/.test(error.message),
  );
});

test('memory sizes convert to bytes', () => {
  assert.equal(memoryBytes('64m'), 64 * 1024 * 1024);
  assert.equal(memoryBytes('512k'), 512 * 1024);
  assert.equal(memoryBytes('1G'), 1024 ** 3);
  assert.equal(memoryBytes('1000'), 1000);
});
