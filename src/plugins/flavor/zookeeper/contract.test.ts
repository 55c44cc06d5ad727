// The shared flavor contract with no ZooKeeper running: health may be only unknown or unhealthy.
// The contract expects a size allocation to validate; an ensemble refuses one on purpose (members
// need logical IDs), so exactly that check must fail, naming allocation.logicalIds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyFlavorPlugin } from '../../../contract/index.js';
import { createZookeeperFlavor } from './index.js';

const sizeCheck = 'validate accepts the properties with a size allocation';

test('zookeeper flavor passes the flavor contract (except size allocations, refused by design)', async () => {
  const properties = {
    // Low ports on loopback: nothing listens, so every four-letter command is refused at once.
    members: {
      a: { clientPort: 1, peerPort: 2, electionPort: 3 },
      b: { clientPort: 4, peerPort: 5, electionPort: 6 },
      c: { clientPort: 7, peerPort: 8, electionPort: 9 },
    },
    dataDir: '/tmp/tend-zookeeper-contract',
  };
  const results = await verifyFlavorPlugin(createZookeeperFlavor({ requestTimeoutMs: 1000 }), { properties });
  assert.ok(results.length >= 6, `only ${results.length} checks ran`);
  for (const result of results) {
    if (result.name === sizeCheck) {
      assert.equal(result.ok, false, 'a size allocation was accepted');
      assert.match(result.error ?? '', /allocation\.logicalIds/);
    } else {
      assert.ok(result.ok, `${result.name}: ${result.error}`);
    }
  }
});
