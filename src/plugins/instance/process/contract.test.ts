import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInstancePluginContract } from '../../../../test/support/contract/plugin-contract.js';
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
        for (const found of await plugin.describeInstances({})) {
          await plugin.destroy(found.id, { reason: 'terminate' });
        }
        await plugin.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  },
  {
    init: 'exec sleep 300',
    properties: { env: { TEND_CONTRACT: '1' } },
    invalidProperties: { env: { TEND_CONTRACT: 1 }, bogus: true },
  },
);
