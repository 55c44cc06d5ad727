import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLeadershipContract } from '../../test/support/contract/leadership-contract.js';
import { StaticLeadership } from './static-leadership.js';

runLeadershipContract(
  'StaticLeadership',
  async () => ({
    candidate: async (name, address) =>
      new StaticLeadership(address === undefined ? { name } : { name, address }),
    settleMs: 0,
  }),
  { exclusive: false },
);

// What the contract leaves out for a non-exclusive backend, asserted for what static does instead.
test('StaticLeadership: every candidate leads at once, at epoch 1, and names itself', async () => {
  const a = new StaticLeadership({ name: 'a', address: 'http://127.0.0.1:7001' });
  const b = new StaticLeadership({ name: 'b' });
  const [ta, tb] = await Promise.all([a.campaign(), b.campaign()]);
  assert.equal(ta.epoch, 1);
  assert.equal(tb.epoch, 1);
  assert.equal(ta.signal.aborted, false);
  assert.equal(tb.signal.aborted, false);
  assert.deepEqual(await a.leader(), { name: 'a', address: 'http://127.0.0.1:7001', epoch: 1 });
  assert.deepEqual(await b.leader(), { name: 'b', epoch: 1 });
  await a.close();
  assert.equal(ta.signal.aborted, true, 'close ends the term');
  assert.equal(tb.signal.aborted, false, 'the other candidate is not touched');
  await b.close();
});
