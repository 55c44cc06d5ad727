import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTokenBucket, VirtualClock } from '../../lib/index.js';
import { TendError } from '../../spi/index.js';
import type { RatePacing } from './adaptive-rate.js';
import { createPluginLimiter } from './limiter.js';

test('cloud pacing starts with one token, not a blind burst; aimd with its burst', async () => {
  for (const [pacing, expected] of [
    ['cloud', [0, 100, 200]],
    ['aimd', [0, 0, 0]],
  ] as const) {
    const clock = new VirtualClock();
    const limiter = createPluginLimiter({ ratePerSec: 10, burst: 10, concurrency: 10, clock, pacing });
    const at: number[] = [];
    const runs = Array.from({ length: 3 }, () => limiter.run(async () => at.push(clock.now())));
    await clock.advance(0);
    await clock.advance(1_000);
    await Promise.all(runs);
    assert.deepEqual(at, expected, pacing);
  }
});

/**
 * 8 workers launching for `seconds` of virtual time through a limiter told `toldRate`, against a
 * platform that admits 2 calls/s from an empty bucket (EC2's RunInstances bucket just spent) and
 * answers the rest `throttled`; each call takes 50 ms. A throttled call is tried again at once.
 */
async function launch(pacing: RatePacing, toldRate: number, seconds = 100) {
  const clock = new VirtualClock();
  const platform = createTokenBucket({ ratePerSec: 2, burst: 5, clock, initialTokens: 0 });
  const limiter = createPluginLimiter({ ratePerSec: toldRate, burst: 10, concurrency: 8, clock, pacing });
  let admitted = 0;
  let refused = 0;
  const stop = new AbortController();
  const call = async () => {
    await clock.sleep(50);
    if (!platform.tryTake()) {
      refused += 1;
      throw new TendError('throttled', 'RequestLimitExceeded');
    }
    admitted += 1;
  };
  const worker = async () => {
    while (!stop.signal.aborted) await limiter.run(call, stop.signal).catch(() => {});
  };
  const workers = Array.from({ length: 8 }, worker);
  for (let t = 0; t < seconds * 10; t++) await clock.advance(100);
  stop.abort();
  await clock.advance(1_000);
  await Promise.all(workers);
  return { admitted, refused, share: refused / (admitted + refused) };
}

test("cloud pacing launches near the platform rate with few refusals, told the rate, 2× or 2.5× (ec2's default) it", async () => {
  for (const told of [2, 4, 5]) {
    const run = await launch('cloud', told);
    // The floor is 200 launches in 100 s; ≥ 185 is a ratio to it of ≤ 1.08.
    assert.ok(run.admitted >= 185, `told ${told}/s: ${run.admitted} launched in 100 s`);
    assert.ok(run.share < 0.05, `told ${told}/s: ${(run.share * 100).toFixed(1)}% refused`);
  }
});

test('aimd, told the real rate, loses its first cut for most of the run (why cloud kinds pace differently)', async () => {
  const run = await launch('aimd', 2);
  assert.ok(run.admitted < 185, `${run.admitted} launched in 100 s`);
});

test('with cloud pacing a refused describe does not slow launches, nor launches wait behind describes', async () => {
  const clock = new VirtualClock();
  const limiter = createPluginLimiter({ ratePerSec: 10, burst: 10, concurrency: 8, clock, pacing: 'cloud' });
  await limiter.run(async () => {}, undefined, 'change');
  await assert.rejects(
    limiter.run(() => Promise.reject(new TendError('throttled', 'slow down')), undefined, 'observe'),
  );
  assert.equal(limiter.stats().ratePerSec, 10, 'the launch rate is untouched');
  assert.equal(limiter.stats().observeRatePerSec, 5, 'the describe rate is halved (nothing measured yet)');
  // The observe rate's next token is 200 ms away, the change rate's 100 ms: neither waits for the other.
  const at: number[] = [];
  const describe = limiter.run(async () => at.push(clock.now()), undefined, 'observe');
  const change = limiter.run(async () => at.push(-clock.now()), undefined, 'change');
  await clock.advance(200);
  await Promise.all([describe, change]);
  assert.deepEqual(at, [-100, 200]);
});
