import { runLeadershipContract } from './leadership-contract.js';
import { StaticLeadership } from './static-leadership.js';

runLeadershipContract('StaticLeadership', async () => ({
  candidate: async (name, address) =>
    new StaticLeadership(address === undefined ? { name } : { name, address }),
  exclusive: false,
  settleMs: 0,
}));
