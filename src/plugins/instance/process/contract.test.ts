import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  destroyAllAndClose,
  PROCESS_CONTRACT_OPTIONS,
  runInstancePluginContract,
} from '../../../../test/support/contract/plugin-contract.js';
import { createProcessPlugin } from './index.js';

runInstancePluginContract(
  'process',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'tend-process-contract-'));
    const plugin = createProcessPlugin({
      stateDir: join(root, 'state'),
      pollIntervalMs: 50,
      killGraceMs: 2000,
    });
    return {
      plugin,
      cleanup: async () => {
        await destroyAllAndClose(plugin);
        await rm(root, { recursive: true, force: true });
      },
    };
  },
  PROCESS_CONTRACT_OPTIONS,
);
