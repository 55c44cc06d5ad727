// The proxy in front of a real moto_server, called through the real AWS SDK: what the SDK sees
// when throttled, when an answer is lost, and that everything else passes through untouched.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import type { Clock } from '../../src/lib/index.js';
import type { Ec2Buckets } from './ec2-buckets.js';
import { createEc2Proxy, type Ec2Proxy } from './ec2-throttle-proxy.js';
import { freePort } from './ensemble.js';

const motoMissing = spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status !== 0;
const skip =
  motoMissing && process.env.CI !== 'true' ? 'needs moto_server on PATH (pip install "moto[server]")' : false;

let moto: ChildProcess | undefined;
let motoUrl = '';

before(async () => {
  if (skip) return;
  const port = await freePort();
  motoUrl = `http://127.0.0.1:${port}`;
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${motoUrl}/moto-api/`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`moto_server did not answer on ${motoUrl} within 30 s`);
});
after(() => {
  moto?.kill('SIGKILL');
});

function client(endpoint: string): EC2Client {
  return new EC2Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1, // every answer reaches the test as it came: no SDK retries
  });
}

const quiet: Ec2Buckets = {
  nonMutating: { capacity: 2, refillPerSec: 0.001 },
  mutating: { capacity: 100, refillPerSec: 0.001 },
  runInstances: { capacity: 1, refillPerSec: 0.001 },
  terminateInstances: { capacity: 100, refillPerSec: 0.001 },
};

async function withProxy(
  options: Partial<Parameters<typeof createEc2Proxy>[0]>,
  body: (p: Ec2Proxy) => Promise<void>,
) {
  await fetch(`${motoUrl}/moto-api/reset`, { method: 'POST' });
  const proxy = await createEc2Proxy({ target: motoUrl, seed: 7, ...options });
  try {
    await body(proxy);
  } finally {
    await proxy.close();
  }
}

const run = new RunInstancesCommand({
  ImageId: 'ami-12c6146b',
  MinCount: 1,
  MaxCount: 1,
  InstanceType: 't3.micro',
});

test("past its bucket the SDK sees RequestLimitExceeded, HTTP 503, in EC2's error shape", {
  skip,
}, async () => {
  const seen: string[] = [];
  const onRequest = (action: string, params: URLSearchParams, outcome: string) =>
    seen.push(`${action}${params.has('MaxCount') ? `×${params.get('MaxCount')}` : ''} ${outcome}`);
  await withProxy({ buckets: quiet, onRequest }, async (proxy) => {
    const ec2 = client(proxy.url);
    await ec2.send(new DescribeInstancesCommand({}));
    await ec2.send(new DescribeInstancesCommand({}));
    const error = await ec2.send(new DescribeInstancesCommand({})).then(
      () => assert.fail('third describe should be throttled'),
      (e: unknown) =>
        e as { name: string; message: string; Code?: string; $metadata: { httpStatusCode?: number } },
    );
    assert.equal(error.name, 'RequestLimitExceeded');
    assert.equal(error.message, 'Request limit exceeded.');
    assert.equal(error.Code, 'RequestLimitExceeded');
    assert.equal(error.$metadata.httpStatusCode, 503);
    // Mutating calls have their own bucket: a launch still goes through, the second one is short
    // of RunInstances' resource tokens.
    const launched = await ec2.send(run);
    assert.equal(launched.Instances?.length, 1);
    await assert.rejects(ec2.send(run), (e: Error) => e.name === 'RequestLimitExceeded');
    const stats = proxy.stats();
    assert.equal(stats.requests, 5);
    assert.equal(stats.throttled, 2);
    assert.deepEqual(stats.throttledBy, {
      nonMutating: 1,
      mutating: 0,
      runInstances: 1,
      terminateInstances: 0,
    });
    assert.deepEqual(stats.byAction.DescribeInstances, { requests: 3, throttled: 1, dropped: 0 });
    assert.deepEqual(seen, [
      'DescribeInstances ok',
      'DescribeInstances ok',
      'DescribeInstances throttled',
      'RunInstances×1 ok',
      'RunInstances×1 throttled',
    ]);
    ec2.destroy();
  });
});

test('a dropped answer: moto created the instance, the SDK got no response', { skip }, async () => {
  await withProxy(
    { buckets: false, dropResponse: (action, n) => action === 'RunInstances' && n === 1 },
    async (proxy) => {
      const ec2 = client(proxy.url);
      const lost = await ec2.send(run).then(
        () => assert.fail('the answer should have been lost'),
        (e: unknown) => e as { name: string; code?: string; $metadata?: { httpStatusCode?: number } },
      );
      assert.equal(lost.$metadata?.httpStatusCode, undefined, 'no HTTP answer at all');
      const direct = client(motoUrl);
      const seen = await direct.send(new DescribeInstancesCommand({}));
      assert.equal(seen.Reservations?.flatMap((r) => r.Instances ?? []).length, 1, 'moto acted on it');
      // The second launch is delivered.
      const second = await ec2.send(run);
      assert.equal(second.Instances?.length, 1);
      assert.deepEqual(proxy.stats().byAction.RunInstances, { requests: 2, throttled: 0, dropped: 1 });
      ec2.destroy();
      direct.destroy();
    },
  );
});

test('latency is drawn from the seed and waited on the injected clock; non-API paths pass untouched', {
  skip,
}, async () => {
  const draws = async (seed: number) => {
    const waited: number[] = [];
    const clock: Clock = { now: () => 0, sleep: async (ms) => void waited.push(ms) };
    await fetch(`${motoUrl}/moto-api/reset`, { method: 'POST' });
    const proxy = await createEc2Proxy({ target: motoUrl, seed, latencyMs: { min: 5, max: 40 }, clock });
    const ec2 = client(proxy.url);
    for (let i = 0; i < 4; i++) await ec2.send(new DescribeInstancesCommand({}));
    const reset = await fetch(`${proxy.url}/moto-api/reset`, { method: 'POST' });
    assert.equal(reset.status, 200);
    assert.equal(proxy.stats().requests, 4, 'the reset is not an EC2 request');
    ec2.destroy();
    await proxy.close();
    return waited;
  };
  const a = await draws(1);
  assert.equal(a.length, 4);
  assert.ok(a.every((ms) => ms >= 5 && ms <= 40));
  assert.deepEqual(await draws(1), a);
  assert.notDeepEqual(await draws(2), a);
});

test('the target must be loopback http; oversized bodies are refused', { skip }, async () => {
  await assert.rejects(createEc2Proxy({ target: 'http://10.0.0.1:80', seed: 1 }), /loopback/);
  await withProxy({}, async (proxy) => {
    const big = await fetch(proxy.url, {
      method: 'POST',
      body: 'Action=DescribeInstances&x='.padEnd(2 * 1024 * 1024, 'a'),
    });
    assert.equal(big.status, 413);
  });
});
