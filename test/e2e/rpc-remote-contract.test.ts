// The shared instance contract against an in-memory plugin served with servePlugin and reached
// through RemoteInstancePlugin over a real unix socket: the adapters and the codec lose nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { after, before } from 'node:test';
import { MemoryInstancePlugin } from '../../examples/plugins/typescript/memory-instance-plugin.js';
import { connectInstancePlugin, type JsonRpcServer, servePlugin } from '../../src/rpc/index.js';
import { runInstancePluginContract } from '../support/contract/plugin-contract.js';

let dir: string;
let server: JsonRpcServer;
before(async () => {
  dir = mkdtempSync('/tmp/tend-');
  server = await servePlugin({ dir, name: 'memory', instance: new MemoryInstancePlugin() });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

runInstancePluginContract(
  'remote memory plugin over a unix socket',
  async () => {
    const plugin = await connectInstancePlugin({ dir, name: 'memory' });
    return { plugin, cleanup: () => plugin.close() };
  },
  { properties: { size: 'small' }, invalidProperties: 'not an object' },
);
