// A remote instance plugin that answers DescribeInstances with 50 MB (issue #10, item 6): the
// group controller must treat it as a failed observation — phase `blind`, a `lastError` naming
// the plugin and the limit, no action — and its status must stay small.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { createGroupController, memoryJournal, resolveGroupSpec } from '../../src/group/index.js';
import { createVanillaFlavor } from '../../src/plugins/flavor/vanilla/index.js';
import { connectInstancePlugin, DEFAULT_MAX_ANSWER_BYTES } from '../../src/rpc/index.js';

let dir: string;
let server: Server;
let provisions = 0;
before(async () => {
  dir = mkdtempSync('/tmp/tend-');
  const big = 'x'.repeat(50 * 1000 * 1000);
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { id, method } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        id: unknown;
        method: string;
      };
      const answer = (result: unknown) => res.end(JSON.stringify({ jsonrpc: '2.0', id, result }));
      if (method === 'Handshake.Implements') answer({ APIs: [{ Name: 'Instance', Version: '0.5.0' }] });
      else if (method === 'Instance.DescribeInstances')
        answer({ Descriptions: [{ ID: 'i-1', Tags: { 'tend.group': 'web' }, Properties: big }] });
      else {
        if (method === 'Instance.Provision') provisions += 1;
        answer({ ID: `i-${provisions}`, OK: true });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(`${dir}/hoarder`, resolve));
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

test('a 50 MB describe answer makes the group blind with a clear lastError, and nothing is done', async () => {
  const instancePlugin = await connectInstancePlugin({ dir, name: 'hoarder' });
  const spec = resolveGroupSpec({
    id: 'web',
    allocation: { size: 2 },
    instance: { plugin: 'hoarder' },
    flavor: { plugin: 'vanilla' },
  });
  const controller = createGroupController({
    spec,
    instancePlugin,
    flavorPlugin: createVanillaFlavor(),
    journal: memoryJournal(),
    epoch: 1,
  });
  try {
    await controller.tick();
    const status = controller.status();
    assert.equal(status.phase, 'blind');
    assert.match(
      status.lastError ?? '',
      new RegExp(
        `plugin hoarder answered more than ${DEFAULT_MAX_ANSWER_BYTES} bytes to Instance\\.DescribeInstances`,
      ),
    );
    assert.equal(provisions, 0, 'a blind group never acts');
    assert.ok(JSON.stringify(status).length < 10_000, 'the status carries none of the answer');
  } finally {
    await controller.stop();
    await instancePlugin.close();
  }
});
