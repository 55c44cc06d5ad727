import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TendError } from '../../../spi/index.js';
import { ec2Error, isAmbiguous } from './client.js';

/** An error shaped as the SDK throws it: a name (EC2's code) and the HTTP metadata. */
function sdkError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
}

test('EC2 error codes map to kinds by their structure, never by message text', () => {
  const cases: Array<[Error, string]> = [
    [sdkError('RequestLimitExceeded', 503), 'throttled'],
    [sdkError('Throttling', 400), 'throttled'],
    [sdkError('InvalidInstanceID.NotFound', 400), 'not_found'],
    [sdkError('InvalidAMIID.NotFound', 400), 'invalid_spec'],
    [sdkError('InvalidSubnetID.NotFound', 400), 'invalid_spec'],
    [sdkError('UnauthorizedOperation', 403), 'invalid_spec'],
    [sdkError('InsufficientInstanceCapacity', 500), 'exhausted'],
    [sdkError('VcpuLimitExceeded', 400), 'exhausted'],
    [sdkError('InvalidIPAddress.InUse', 400), 'unavailable'],
    [sdkError('IncorrectInstanceState', 400), 'conflict'],
    [sdkError('SomethingNew', 500), 'unavailable'],
    [sdkError('SomethingNew', 503), 'throttled'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'unavailable'],
  ];
  for (const [error, kind] of cases) {
    const mapped = ec2Error(error, 'RunInstances');
    assert.equal(mapped.kind, kind, `${error.name}/${String((error as { code?: string }).code)}`);
    assert.match(mapped.message, /^ec2 RunInstances failed: /);
  }
});

test('an aborted caller is a timeout, and lost answers are ambiguous while a refusal is not', () => {
  const controller = new AbortController();
  controller.abort();
  assert.equal(ec2Error(new Error('aborted'), 'DescribeInstances', controller.signal).kind, 'timeout');
  const reset = ec2Error(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'RunInstances');
  assert.equal(isAmbiguous(reset), true);
  assert.equal(isAmbiguous(ec2Error(sdkError('InvalidAMIID.NotFound', 400), 'RunInstances')), false);
  assert.equal(isAmbiguous(new TendError('throttled', 'slow down')), false);
});
