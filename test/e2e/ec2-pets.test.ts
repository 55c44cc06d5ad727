// Pets on EC2 through `tend apply` on real moto: a logical-ID group of 3, each member with a fixed
// private IP and its own EBS volume, keeps address and volume when a member is terminated by
// someone else and when one is stopped (unhealthy, replaced by Tend).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  type Instance,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { e2eWorkspace, eventually, ManagerProcess, runCli } from '../support/manager.js';
import { MOTO_AMI, type MotoServer, motoSkip, startMoto } from '../support/moto.js';

const skip = motoSkip();
if (skip !== false) console.log(`# skipping ec2 pets e2e: ${skip}`);
const group = 'db';
const members = ['a', 'b', 'c'] as const;
const ips: Record<string, string> = { a: '172.31.0.11', b: '172.31.0.12', c: '172.31.0.13' };
const volumes: Record<string, string> = {};
const patient = { attempts: 600, intervalMs: 200 };

let moto: MotoServer | undefined;
let workspace: Awaited<ReturnType<typeof e2eWorkspace>> | undefined;
let manager: ManagerProcess | undefined;

function server(): MotoServer {
  if (moto === undefined) throw new Error('moto is not running');
  return moto;
}

before(async () => {
  if (skip !== false) return;
  moto = await startMoto();
  workspace = await e2eWorkspace('ec2-pets');
  manager = await ManagerProcess.start({
    name: 'm1',
    dir: workspace.dir,
    stateDir: workspace.stateDir,
    tickIntervalMs: 500,
    env: server().env(),
  });
  workspace.managers.push(manager);
});
after(async () => {
  await workspace?.cleanup();
  await moto?.stop();
});

async function liveMembers(): Promise<Map<string, Instance>> {
  const answer = await server().client.send(
    new DescribeInstancesCommand({ Filters: [{ Name: 'tag:tend.group', Values: [group] }] }),
  );
  const live = new Map<string, Instance>();
  for (const instance of (answer.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
    if (!['pending', 'running'].includes(instance.State?.Name ?? '')) continue;
    const logical = instance.Tags?.find((t) => t.Key === 'tend.logical')?.Value ?? '?';
    if (live.has(logical)) throw new Error(`two live instances for ${logical}`);
    live.set(logical, instance);
  }
  return live;
}

async function volumeHolder(volume: string): Promise<string | undefined> {
  const answer = await server().client.send(new DescribeVolumesCommand({ VolumeIds: [volume] }));
  return answer.Volumes?.[0]?.Attachments?.find((a) => a.State === 'attached')?.InstanceId;
}

/** Every member live, on its own address, holding its own volume; the instance IDs by member. */
async function membersInPlace(exclude: readonly string[] = []): Promise<Map<string, Instance>> {
  return eventually(
    'a, b, c live with their addresses and volumes',
    async () => {
      const live = await liveMembers();
      for (const id of members) {
        const instance = live.get(id);
        if (instance === undefined || exclude.includes(instance.InstanceId ?? '')) return undefined;
        if (instance.PrivateIpAddress !== ips[id]) return undefined;
        if ((await volumeHolder(volumes[id] ?? '')) !== instance.InstanceId) return undefined;
      }
      return live;
    },
    patient,
  );
}

describe('ec2 pets through tend apply on moto', { skip }, () => {
  it('creates a, b, c on fixed IPs, each with its volume attached', async () => {
    const subnets = await server().client.send(new DescribeSubnetsCommand({}));
    const subnet = subnets.Subnets?.find((s) => s.CidrBlock === '172.31.0.0/20');
    assert.ok(subnet?.SubnetId !== undefined && subnet.AvailabilityZone !== undefined);
    for (const id of members) {
      const created = await server().client.send(
        new CreateVolumeCommand({ AvailabilityZone: subnet.AvailabilityZone, Size: 1 }),
      );
      volumes[id] = created.VolumeId ?? '';
    }
    const placements = members
      .map((id) => `          ${id}: { privateIp: ${ips[id]}, volumes: [${volumes[id]}] }`)
      .join('\n');
    const yaml = `groups:
  - id: ${group}
    allocation: { logicalIds: [a, b, c] }
    instance:
      plugin: ec2
      properties:
        imageId: ${MOTO_AMI}
        instanceType: t3.micro
        subnetId: ${subnet.SubnetId}
        logicalIds:
${placements}
    flavor: { plugin: vanilla, properties: { init: ["mount /dev/sdf /data"] } }
    health: { grace: 0s, unhealthyAfter: 2s, maxInFlight: 1 }
`;
    const file = join(workspace?.dir ?? '/tmp', 'db.yaml');
    await writeFile(file, yaml);
    const result = await runCli(['apply', '-f', file, '--manager', manager?.url ?? '', '--timeout', '4m'], {
      TEND_TOKEN: manager?.token ?? '',
    });
    assert.equal(result.code, 0, `tend apply failed:\n${result.stdout}\n${result.stderr}\n${yaml}`);
    await membersInPlace();
  });

  it('a member terminated through the EC2 API comes back on its address with its volume', async () => {
    const before = await membersInPlace();
    const old = before.get('b')?.InstanceId ?? '';
    await server().client.send(new TerminateInstancesCommand({ InstanceIds: [old] }));
    const after = await membersInPlace([old]);
    assert.notEqual(after.get('b')?.InstanceId, old);
    assert.equal(after.get('a')?.InstanceId, before.get('a')?.InstanceId, 'a was left alone');
    assert.equal(after.get('c')?.InstanceId, before.get('c')?.InstanceId, 'c was left alone');
  });

  it('a stopped member is replaced by Tend and the replacement keeps address and volume', async () => {
    const before = await membersInPlace();
    const old = before.get('c')?.InstanceId ?? '';
    await server().client.send(new StopInstancesCommand({ InstanceIds: [old] }));
    const after = await membersInPlace([old]);
    assert.notEqual(after.get('c')?.InstanceId, old);
    const gone = await server().client.send(new DescribeInstancesCommand({ InstanceIds: [old] }));
    assert.equal(
      gone.Reservations?.[0]?.Instances?.[0]?.State?.Name,
      'terminated',
      'Tend terminated the stopped one',
    );
  });
});
