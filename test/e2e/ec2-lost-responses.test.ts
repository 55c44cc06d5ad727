// Lost answers never leave a duplicate on EC2: the real group controller drives the ec2 plugin
// through a proxy that lets moto create the instance and then cuts the connection before the
// answer arrives (and loses some describes too), over 50 seeds. moto ignores ClientToken, so only
// the plugin's look-up by the `tend.op` tag stands between a lost answer and a second instance —
// the control test shows moto really does make a second one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeInstancesCommand, type Instance, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { createGroupController, memoryJournal } from '../../src/group/index.js';
import { createRandom, VirtualClock } from '../../src/lib/index.js';
import { createVanillaFlavor } from '../../src/plugins/flavor/vanilla/index.js';
import { createEc2Plugin } from '../../src/plugins/instance/ec2/index.js';
import { type GroupSpec, groupId, TAG_GROUP, TAG_OP } from '../../src/spi/index.js';
import { startLostAnswerProxy } from '../support/lost-answer-proxy.js';
import { MOTO_AMI, type MotoServer, motoClient, motoSkip, startMoto } from '../support/moto.js';

const skip = motoSkip();
if (skip !== false) console.log(`# skipping ec2 lost responses: ${skip}`);

let moto: MotoServer | undefined;
before(async () => {
  if (skip === false) moto = await startMoto();
});
after(async () => {
  await moto?.stop();
});

function server(): MotoServer {
  if (moto === undefined) throw new Error('moto is not running');
  return moto;
}

/** Every instance moto ever made for `group`, terminated ones included (read past the proxy). */
async function everInstance(group: string): Promise<Instance[]> {
  const answer = await server().client.send(
    new DescribeInstancesCommand({ Filters: [{ Name: `tag:${TAG_GROUP}`, Values: [group] }] }),
  );
  return (answer.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

function opOf(instance: Instance): string {
  return instance.Tags?.find((t) => t.Key === TAG_OP)?.Value ?? '';
}

const SIZE = 3; // the direct provisions below name ops 0..2
const RUNS = 50;

function groupSpec(id: string): GroupSpec {
  return {
    id: groupId(id),
    allocation: { size: SIZE },
    instance: { plugin: 'ec2', properties: { imageId: MOTO_AMI, instanceType: 't3.micro' } },
    flavor: { plugin: 'vanilla' },
    health: { graceMs: 0, unhealthyAfterMs: 5_000, maxInFlight: 1 },
    update: { maxSurge: 1, maxUnavailable: 0, healthyForMs: 0, timeoutMs: 600_000, onFailure: 'pause' },
    scaleIn: { order: 'oldest' },
  };
}

describe('ec2: lost answers from EC2', { skip }, () => {
  it('control: moto makes a second instance for a repeated ClientToken', async () => {
    await server().reset();
    const input = { ImageId: MOTO_AMI, MinCount: 1, MaxCount: 1, ClientToken: 'same-token' };
    const first = await server().client.send(new RunInstancesCommand(input));
    const second = await server().client.send(new RunInstancesCommand(input));
    assert.notEqual(first.Instances?.[0]?.InstanceId, second.Instances?.[0]?.InstanceId);
  });

  it(`${RUNS} seeded runs of a group of ${SIZE} with lost RunInstances and describe answers: 0 duplicates`, async () => {
    let lostRuns = 0;
    let lostDescribes = 0;
    let duplicates = 0;
    for (let seed = 1; seed <= RUNS; seed++) {
      await server().reset();
      const proxy = await startLostAnswerProxy({
        target: server().endpoint,
        seed,
        loseAnswer: { RunInstances: 0.4, DescribeInstances: 0.15 },
      });
      const client = motoClient(proxy.endpoint);
      const plugin = createEc2Plugin({ client });
      const clock = new VirtualClock({ start: 1_000_000 });
      const group = `lost-${seed}`;
      const controller = createGroupController({
        spec: groupSpec(group),
        instancePlugin: plugin,
        flavorPlugin: createVanillaFlavor(),
        journal: memoryJournal(),
        epoch: 1,
        clock,
        random: createRandom(seed),
      });
      try {
        // A hang guard, not a timing assertion: each tick may lose answers, so it takes a few.
        let ticks = 0;
        for (; ticks < 60; ticks++) {
          await controller.tick();
          await clock.advance(5_000);
          const status = controller.status();
          if (status.observed === SIZE && status.phase === 'converged') break;
        }
        // Two more ticks: a converged group must not add anything.
        await controller.tick();
        await controller.tick();
        const ever = await everInstance(group);
        const ops = ever.map(opOf);
        const dup = ops.length - new Set(ops).size;
        duplicates += dup;
        assert.equal(dup, 0, `seed ${seed}: instances per op ${JSON.stringify(ops)}`);
        assert.equal(
          ever.length,
          SIZE,
          `seed ${seed}: ${ever.length} instances ever created (after ${ticks} ticks)`,
        );
        assert.ok(
          ever.every((i) => i.State?.Name === 'running'),
          `seed ${seed}: none destroyed`,
        );
        // The SPI's caller side by hand: a provision that rejects is asked again under its key
        // (what a manager does after a failover, or a remote caller after a cut connection),
        // before any describe of the caller's own could have shown the instance.
        const direct = `direct-${seed}`;
        for (let n = 0; n < SIZE; n++) {
          const spec = {
            tags: { [TAG_GROUP]: direct, [TAG_OP]: `${direct}:${n}` },
            init: 'echo hi',
            attachments: [],
            properties: { imageId: MOTO_AMI, instanceType: 't3.micro' },
          };
          let attempts = 0;
          for (;;) {
            attempts++;
            const ok = await plugin.provision(spec).then(
              () => true,
              () => false,
            );
            if (ok) break;
            assert.ok(attempts < 50, `seed ${seed}: provision ${n} kept failing`);
          }
        }
        const directOps = (await everInstance(direct)).map(opOf);
        duplicates += directOps.length - new Set(directOps).size;
        assert.deepEqual(
          directOps.sort(),
          [0, 1, 2].map((n) => `${direct}:${n}`),
          `seed ${seed}: direct provisions`,
        );
        lostRuns += proxy.lost.RunInstances ?? 0;
        lostDescribes += proxy.lost.DescribeInstances ?? 0;
      } finally {
        await controller.stop().catch(() => undefined);
        client.destroy();
        await proxy.close();
      }
    }
    console.log(
      `# ${RUNS} runs: ${lostRuns} RunInstances answers and ${lostDescribes} DescribeInstances answers lost, ${duplicates} duplicates`,
    );
    assert.ok(
      lostRuns >= RUNS / 2,
      `the proxy lost only ${lostRuns} RunInstances answers: the test proves little`,
    );
    assert.equal(duplicates, 0);
  });
});
