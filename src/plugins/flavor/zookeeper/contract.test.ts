// The shared flavor contract with no ZooKeeper running: health may be only unknown or unhealthy.
// An ensemble needs member names, so the contract runs in its logical-IDs-only form.
import { runFlavorPluginContract } from '../../../../test/support/contract/plugin-contract.js';
import { createZookeeperFlavor } from './index.js';

runFlavorPluginContract(
  'zookeeper',
  async () => ({ plugin: createZookeeperFlavor({ requestTimeoutMs: 1000 }) }),
  {
    allocations: 'logical-ids-only',
    properties: {
      // Low ports on loopback: nothing listens, so every four-letter command is refused at once.
      members: {
        a: { clientPort: 1, peerPort: 2, electionPort: 3 },
        b: { clientPort: 4, peerPort: 5, electionPort: 6 },
        c: { clientPort: 7, peerPort: 8, electionPort: 9 },
      },
      dataDir: '/tmp/tend-zookeeper-contract',
    },
  },
);
