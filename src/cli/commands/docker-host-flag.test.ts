import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TendError } from '../../spi/index.js';
import { dockerSocketFlag } from './up-backends.js';

test('--docker-host takes unix:// URLs and bare paths, and refuses anything else by name', () => {
  assert.equal(dockerSocketFlag(undefined), '/var/run/docker.sock');
  assert.equal(dockerSocketFlag('unix:///tmp/d.sock'), '/tmp/d.sock');
  assert.equal(dockerSocketFlag('/tmp/d.sock'), '/tmp/d.sock');
  assert.throws(
    () => dockerSocketFlag('tcp://10.0.0.1:2375'),
    (e: unknown) => TendError.is(e, 'invalid_spec') && /--docker-host/.test(e.message),
  );
});
