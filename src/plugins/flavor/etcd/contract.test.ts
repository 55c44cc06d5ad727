// The shared flavor contract with no etcd running: health may be only unknown or unhealthy here.
// The contract expects a size allocation to validate; an ensemble refuses one on purpose (members
// need logical IDs), so exactly that check must fail, naming allocation.logicalIds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyFlavorPlugin } from '../../../contract/index.js';
import { createEtcdFlavor } from './index.js';

const sizeCheck = 'validate accepts the properties with a size allocation';

test('etcd flavor passes the flavor contract (except size allocations, refused by design)', async () => {
  const properties = {
    // Port 1 on loopback: nothing listens, so every call is refused at once.
    members: {
      a: { peerPort: 2, clientPort: 1 },
      b: { peerPort: 4, clientPort: 3 },
      c: { peerPort: 6, clientPort: 5 },
    },
    dataDir: '/tmp/tend-etcd-contract',
    clusterToken: 'contract',
  };
  const results = await verifyFlavorPlugin(createEtcdFlavor({ requestTimeoutMs: 1000 }), { properties });
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
