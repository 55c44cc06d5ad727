import { runInstancePluginContract } from '../../../../test/support/contract/plugin-contract.js';
import { systemClock } from '../../../lib/index.js';
import { createSimulatorPlugin } from './index.js';

// No latency and no faults, so nothing sleeps; buckets off, because the contract checks
// semantics and throttling has tests of its own (simulator-plugin.test.ts).
runInstancePluginContract(
  'simulator',
  async () => {
    const plugin = createSimulatorPlugin({
      clock: systemClock,
      seed: 7,
      rateLimits: { provision: 'unlimited', describe: 'unlimited', destroy: 'unlimited', label: 'unlimited' },
    });
    return { plugin, cleanup: () => plugin.close() };
  },
  { properties: { size: 'small' }, invalidProperties: ['not', 'a', 'map'] },
);
