// The shared flavor contract for kubeadm workers (control planes refuse size allocations).
import { runFlavorPluginContract } from '../../../../test/support/contract/plugin-contract.js';
import { createKubeadmFlavor } from './index.js';

runFlavorPluginContract('kubeadm', async () => ({ plugin: createKubeadmFlavor() }), {
  properties: {
    role: 'worker',
    controlPlaneEndpoint: '10.0.0.10:6443',
    kubernetesVersion: 'v1.31.2',
    caCertHashes: [`sha256:${'0'.repeat(64)}`],
  },
});
