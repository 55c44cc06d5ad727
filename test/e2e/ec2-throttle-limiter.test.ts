// EC2's throttling reaches Tend's limiter (AIMD, and the ec2 kind's cloud pacing): the real `ec2` plugin, the real SDK, a real
// moto_server behind the throttling proxy. Every RequestLimitExceeded the proxy answers must
// arrive at the limiter as `throttled` (none hidden by SDK retries), and the limiter must back off.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  createGroupController,
  createPluginLimiter,
  memoryJournal,
  type PluginLimiter,
} from '../../src/group/index.js';
import { createEc2Plugin } from '../../src/plugins/instance/ec2/index.js';
import { type FlavorPlugin, groupId, TAG_GROUP, TendError } from '../../src/spi/index.js';
import { EC2_DEFAULT_BUCKETS, type Ec2Buckets } from '../support/ec2-buckets.js';
import { createEc2Proxy } from '../support/ec2-throttle-proxy.js';
import { eventually } from '../support/manager.js';
import {
  MOTO_ACCESS_KEY,
  MOTO_AMI,
  MOTO_REGION,
  MOTO_SECRET_KEY,
  type MotoServer,
  motoSkip,
  startMoto,
} from '../support/moto.js';

const skip = motoSkip();
let moto: MotoServer | undefined;
before(async () => {
  if (skip === false) moto = await startMoto();
});
after(async () => {
  await moto?.stop();
});

function plugin(endpoint: string) {
  return createEc2Plugin({
    endpoint,
    region: MOTO_REGION,
    credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
  });
}

test('each RequestLimitExceeded reaches the limiter as throttled, and the rate comes down', {
  skip,
}, async () => {
  assert.ok(moto);
  await moto.reset();
  const buckets: Ec2Buckets = { ...EC2_DEFAULT_BUCKETS, nonMutating: { capacity: 5, refillPerSec: 1 } };
  const proxy = await createEc2Proxy({ target: moto.endpoint, seed: 3, buckets });
  const ec2 = plugin(proxy.url);
  const limiter = createPluginLimiter({ ratePerSec: 100, burst: 100, concurrency: 4 });
  try {
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        limiter
          .run(() => ec2.describeInstances({ [TAG_GROUP]: 'nobody' }))
          .then(
            () => 'ok',
            (e: unknown) => (TendError.is(e, 'throttled') ? 'throttled' : `other: ${String(e)}`),
          ),
      ),
    );
    const throttled = outcomes.filter((o) => o === 'throttled').length;
    assert.deepEqual(
      outcomes.filter((o) => o !== 'ok' && o !== 'throttled'),
      [],
      'only ok or throttled',
    );
    const seen = proxy.stats();
    assert.ok(seen.throttled >= 10, `the bucket of 5 refused most of 20 at once (refused ${seen.throttled})`);
    // No describe of an empty fleet asks anything but DescribeInstances, so the counts must agree.
    assert.equal(seen.requests, 20, 'one request per call: the SDK retried nothing');
    assert.equal(throttled, seen.throttled);
    assert.equal(limiter.stats().throttled, seen.throttled);
    assert.ok(limiter.stats().ratePerSec < 100, `AIMD cut the rate (now ${limiter.stats().ratePerSec}/s)`);
  } finally {
    await ec2.close();
    await proxy.close();
  }
});

/**
 * A group of `size` on `ec2` through the proxy, RunInstances' resource bucket starting empty and
 * refilling `launchRate` a second, converged under `limiter`; checks that no launch was lost or
 * doubled, and answers what the proxy saw.
 */
async function convergeThrottled(options: { size: number; launchRate: number; limiter: PluginLimiter }) {
  assert.ok(moto);
  await moto.reset();
  const { size, limiter } = options;
  const buckets: Ec2Buckets = {
    ...EC2_DEFAULT_BUCKETS,
    runInstances: { capacity: 1000, refillPerSec: options.launchRate, initial: 0 },
  };
  /** RunInstances answers in the order the proxy gave them. */
  const launches: string[] = [];
  const proxy = await createEc2Proxy({
    target: moto.endpoint,
    seed: 5,
    buckets,
    onRequest: (action, _params, outcome) => {
      if (action === 'RunInstances') launches.push(outcome);
    },
  });
  const ec2 = plugin(proxy.url);
  const flavor: FlavorPlugin = {
    validate: async () => {},
    prepare: async (_p, spec) => spec,
    healthy: async () => 'healthy',
    drain: async () => {},
  };
  const events: string[] = [];
  const controller = createGroupController({
    spec: {
      id: groupId('throttled'),
      allocation: { size },
      instance: { plugin: 'ec2', properties: { imageId: MOTO_AMI, instanceType: 't3.micro' } },
      flavor: { plugin: 'test' },
      health: { graceMs: 30_000, unhealthyAfterMs: 20_000, maxInFlight: 1 },
      update: {
        maxSurge: 1,
        maxUnavailable: 0,
        healthyForMs: 1_000,
        timeoutMs: 600_000,
        onFailure: 'rollback',
      },
      scaleIn: { order: 'oldest' },
    },
    instancePlugin: ec2,
    flavorPlugin: flavor,
    journal: memoryJournal(),
    epoch: 1,
    tickIntervalMs: 200,
    alignTicks: limiter.pacing === 'cloud',
    limiter,
    onEvent: (e) => events.push(e.type),
  });
  controller.start(new AbortController().signal);
  try {
    await eventually(`${size} instances, converged`, () => {
      const s = controller.status();
      return s.phase === 'converged' && s.observed === size ? s : undefined;
    });
    const seen = proxy.stats();
    assert.ok(limiter.stats().throttled >= seen.throttledBy.runInstances, 'each refusal reached the limiter');
    const live = await moto.client.send(new DescribeInstancesCommand({}));
    const count = (live.Reservations ?? []).flatMap((r) => r.Instances ?? []).length;
    assert.equal(count, size, 'throttled launches made no extra instances');
    assert.equal(events.filter((e) => e === 'created').length, size);
    return { seen, launches };
  } finally {
    await controller.stop();
    await ec2.close();
    await proxy.close();
  }
}

test('a group converges through throttled RunInstances: the limiter absorbs them, nothing fails', {
  skip,
}, async () => {
  // 6 launches need ~1.5 s from an empty bucket refilling 4 a second, and a limiter told 50/s
  // runs into it at once.
  const limiter = createPluginLimiter({ ratePerSec: 50, burst: 10, concurrency: 8 });
  const { seen } = await convergeThrottled({ size: 6, launchRate: 4, limiter });
  assert.ok(seen.throttledBy.runInstances > 0, 'the resource bucket refused launches');
  assert.ok(limiter.stats().ratePerSec < 50, 'and it backed off');
});

test("cloud pacing (the ec2 kind's), told twice the launch rate, sends no blind burst into an empty bucket", {
  skip,
}, async () => {
  // The ec2 kind's burst and concurrency; 40 launches from an empty bucket refilling 4/s. AIMD
  // starts with its burst of 10 (9 of its first 10 launches refused in our run); cloud pacing
  // starts with one token and halves at the first refusal (3 of 10 in ours).
  const limiter = createPluginLimiter({ ratePerSec: 8, burst: 10, concurrency: 8, pacing: 'cloud' });
  const { launches } = await convergeThrottled({ size: 40, launchRate: 4, limiter });
  const refusedOfFirst10 = launches.slice(0, 10).filter((o) => o === 'throttled').length;
  assert.ok(
    refusedOfFirst10 <= 5,
    `refused ${refusedOfFirst10} of the first 10 launches: ${launches.join(' ')}`,
  );
});
