// #10 item 5 for ec2: the plugin refuses, as `fenced`, a mutating call from an epoch older than
// one it has seen — before it sends anything to EC2 — and a newer leader's describe raises the
// epoch. The fence lives in the plugin object, so no EC2 is needed: a client that records what
// it was asked to send stands in for it (the real API is covered by test/e2e/ec2-*.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { instanceId, TendError } from '../../../spi/index.js';
import { Ec2InstancePlugin } from './plugin.js';

test('ec2 plugin: older epochs are fenced before any EC2 call; a newer describe raises the fence', async () => {
  const sent: string[] = [];
  const client = {
    send: async (command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      return command.constructor.name === 'DescribeInstancesCommand' ? { Reservations: [] } : {};
    },
    destroy: () => {},
  } as unknown as EC2Client;
  const plugin = new Ec2InstancePlugin({ client });
  const id = instanceId('i-0123456789abcdef0');
  const fenced = (older: number, newer: number) => (error: unknown) =>
    TendError.is(error, 'fenced') &&
    String((error as Error).message).includes(`epoch ${older} is older than epoch ${newer}`);

  await plugin.destroy(id, { reason: 'scale-in' }, { epoch: 6 });
  assert.deepEqual(sent, ['TerminateInstancesCommand']);
  await assert.rejects(plugin.destroy(id, { reason: 'scale-in' }, { epoch: 5 }), fenced(5, 6));
  await assert.rejects(plugin.label(id, { x: 'y' }, { epoch: 5 }), fenced(5, 6));
  const spec = {
    tags: { 'tend.group': 'g', 'tend.epoch': '5' },
    init: '',
    attachments: [],
    properties: { imageId: 'ami-12345678', instanceType: 't3.micro' },
  };
  await assert.rejects(plugin.provision(spec), fenced(5, 6));
  assert.deepEqual(sent, ['TerminateInstancesCommand'], 'nothing refused reached EC2');

  assert.deepEqual(await plugin.describeInstances({}, { epoch: 7 }), []);
  await assert.rejects(plugin.destroy(id, { reason: 'scale-in' }, { epoch: 6 }), fenced(6, 7));
  // An older leader's look is still answered; calls without an epoch (not Tend's) pass.
  assert.deepEqual(await plugin.describeInstances({}, { epoch: 5 }), []);
  await plugin.label(id, { x: 'y' });
  assert.equal(sent.at(-1), 'CreateTagsCommand');
});
