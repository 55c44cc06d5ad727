// The shared flavor contract against an in-memory swarm: workers in both allocation forms,
// managers with logical IDs only. The same contract runs against a real swarm in
// test/e2e/swarm-flavor.test.ts.
import { runFlavorPluginContract } from '../../../../test/support/contract/plugin-contract.js';
import { fakeSwarm } from '../../../../test/support/fake-swarm.js';
import { createSwarmFlavor } from './index.js';

const managers = ['unix:///fake/docker.sock'];

runFlavorPluginContract(
  'swarm (workers, fake swarm)',
  async () => {
    const swarm = fakeSwarm();
    return { plugin: createSwarmFlavor({ gateway: () => swarm.gateway }) };
  },
  { properties: { role: 'worker', managers } },
);

runFlavorPluginContract(
  'swarm (managers, fake swarm)',
  async () => {
    const swarm = fakeSwarm();
    return { plugin: createSwarmFlavor({ gateway: () => swarm.gateway }) };
  },
  { properties: { role: 'manager', managers }, allocations: 'logical-ids-only' },
);
