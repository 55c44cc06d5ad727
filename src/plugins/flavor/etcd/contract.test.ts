// The shared flavor contract with no etcd running: health may be only unknown or unhealthy here.
// An ensemble needs member names, so the contract runs in its logical-IDs-only form.
import { runFlavorPluginContract } from '../../../../test/support/contract/plugin-contract.js';
import { createEtcdFlavor } from './index.js';

runFlavorPluginContract('etcd', async () => ({ plugin: createEtcdFlavor({ requestTimeoutMs: 1000 }) }), {
  allocations: 'logical-ids-only',
  properties: {
    // Port 1 on loopback: nothing listens, so every call is refused at once.
    members: {
      a: { peerPort: 2, clientPort: 1 },
      b: { peerPort: 4, clientPort: 3 },
      c: { peerPort: 6, clientPort: 5 },
    },
    dataDir: '/tmp/tend-etcd-contract',
    clusterToken: 'contract',
  },
});
