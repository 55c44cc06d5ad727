import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../src/lib/index.js';
import {
  costOf,
  createEc2Throttle,
  EC2_DEFAULT_BUCKETS,
  type Ec2Buckets,
  floorSeconds,
  requestBucketOf,
  scaleEc2Buckets,
} from './ec2-buckets.js';

const small: Ec2Buckets = {
  nonMutating: { capacity: 3, refillPerSec: 2 },
  mutating: { capacity: 5, refillPerSec: 1 },
  runInstances: { capacity: 4, refillPerSec: 1, initial: 2 },
  terminateInstances: { capacity: 10, refillPerSec: 10 },
};

test('actions map to their request bucket; costs come from the Query parameters', () => {
  assert.equal(requestBucketOf('DescribeInstances'), 'nonMutating');
  assert.equal(requestBucketOf('GetConsoleOutput'), 'nonMutating');
  assert.equal(requestBucketOf('RunInstances'), 'mutating');
  assert.equal(requestBucketOf('CreateTags'), 'mutating');
  assert.deepEqual(costOf('RunInstances', new URLSearchParams('MinCount=1&MaxCount=3')), {
    request: 'mutating',
    resource: { bucket: 'runInstances', tokens: 3 },
  });
  assert.deepEqual(costOf('RunInstances', new URLSearchParams('MaxCount=junk')).resource?.tokens, 1);
  assert.deepEqual(
    costOf('TerminateInstances', new URLSearchParams('InstanceId.1=i-a&InstanceId.2=i-b')).resource,
    { bucket: 'terminateInstances', tokens: 2 },
  );
  assert.deepEqual(costOf('DescribeInstances', new URLSearchParams()), { request: 'nonMutating' });
});

test('a burst drains the bucket, then tokens come back at the refill rate', async () => {
  const clock = new VirtualClock();
  const throttle = createEc2Throttle({ buckets: small, clock });
  const describe = () => throttle.admit({ request: 'nonMutating' });
  assert.deepEqual([describe(), describe(), describe()], [{ ok: true }, { ok: true }, { ok: true }]);
  assert.deepEqual(describe(), { ok: false, bucket: 'nonMutating' });
  await clock.advance(499);
  assert.deepEqual(describe(), { ok: false, bucket: 'nonMutating' }, '0.998 tokens is not a token');
  await clock.advance(1);
  assert.deepEqual(describe(), { ok: true });
  await clock.advance(60_000);
  assert.equal(throttle.level('nonMutating'), 3, 'never above capacity');
  assert.equal(throttle.level('mutating'), 5, 'other buckets untouched');
});

test('RunInstances pays its resource bucket per instance; refused there, it still spent its request token', async () => {
  const clock = new VirtualClock();
  const throttle = createEc2Throttle({ buckets: small, clock });
  const run = (n: number) =>
    throttle.admit({ request: 'mutating', resource: { bucket: 'runInstances', tokens: n } });
  assert.equal(throttle.level('runInstances'), 2, 'starts at `initial`');
  assert.deepEqual(run(3), { ok: false, bucket: 'runInstances' });
  assert.equal(throttle.level('mutating'), 4);
  assert.equal(throttle.level('runInstances'), 2, 'a refused launch takes no resource tokens');
  assert.deepEqual(run(2), { ok: true });
  assert.deepEqual(run(1), { ok: false, bucket: 'runInstances' });
  await clock.advance(1000);
  assert.deepEqual(run(1), { ok: true });
  assert.equal(throttle.level('mutating'), 2);
  // The request bucket is checked first: when it is empty the resource bucket is not touched.
  throttle.admit({ request: 'mutating' });
  throttle.admit({ request: 'mutating' });
  await clock.advance(1000);
  assert.equal(throttle.level('runInstances'), 1);
  assert.equal(Math.floor(throttle.level('mutating')), 1);
  throttle.admit({ request: 'mutating' });
  assert.deepEqual(run(1), { ok: false, bucket: 'mutating' });
  assert.equal(throttle.level('runInstances'), 1);
});

test('scaling speeds refill only; the floor is the time to refill what the burst lacks', () => {
  const fast = scaleEc2Buckets(EC2_DEFAULT_BUCKETS, 10);
  assert.deepEqual(fast.runInstances, { capacity: 1000, refillPerSec: 20 });
  assert.deepEqual(fast.nonMutating, { capacity: 100, refillPerSec: 200 });
  assert.equal(floorSeconds(EC2_DEFAULT_BUCKETS.runInstances, 200), 0, 'a full bucket admits 200 at once');
  assert.equal(floorSeconds({ ...fast.runInstances, initial: 0 }, 200), 10);
  assert.equal(floorSeconds({ capacity: 50, refillPerSec: 5, initial: 20 }, 200), 36);
  assert.throws(() => scaleEc2Buckets(EC2_DEFAULT_BUCKETS, 0), /positive/);
  assert.throws(
    () =>
      createEc2Throttle({
        buckets: { ...small, mutating: { capacity: 1, refillPerSec: 1, initial: 2 } },
        clock: new VirtualClock(),
      }),
    /bucket mutating: initial must be between 0 and capacity 1/,
  );
});

test('the same requests at the same times get the same answers (deterministic)', async () => {
  const run = async () => {
    const clock = new VirtualClock();
    const throttle = createEc2Throttle({ buckets: scaleEc2Buckets(EC2_DEFAULT_BUCKETS, 3), clock });
    const answers: boolean[] = [];
    for (let i = 0; i < 400; i++) {
      answers.push(throttle.admit(costOf('DescribeInstances', new URLSearchParams())).ok);
      await clock.advance((i * 7) % 13);
    }
    return answers;
  };
  const first = await run();
  assert.deepEqual(await run(), first);
  assert.ok(first.includes(false) && first.includes(true));
});
