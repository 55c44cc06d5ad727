// The instance contract suite for the `ec2` plugin against a real EC2 API implementation (moto)
// on loopback, plus what the contract does not cover: pagination, platform health, console logs,
// error kinds, and credentials staying out of what the plugin hands back.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateVolumeCommand,
  DescribeInstanceAttributeCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { createEc2Plugin } from '../../src/plugins/instance/ec2/index.js';
import {
  type InstanceSpec,
  instanceId,
  logicalId,
  TAG_GROUP,
  TAG_OP,
  TendError,
} from '../../src/spi/index.js';
import { runInstancePluginContract } from '../support/contract/plugin-contract.js';
import { runCli } from '../support/manager.js';
import { MOTO_AMI, MOTO_SECRET_KEY, type MotoServer, motoSkip, startMoto } from '../support/moto.js';

const skip = motoSkip();
if (skip !== false) console.log(`# skipping ec2 contract: ${skip}`);

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

const properties = { imageId: MOTO_AMI, instanceType: 't3.micro' };

if (skip === false) {
  runInstancePluginContract(
    'ec2 on moto',
    async () => {
      await server().reset();
      // Page size 5 (EC2's minimum): the checks' describes cross page boundaries.
      const plugin = createEc2Plugin({ client: server().client, pageSize: 5 });
      return { plugin, cleanup: () => plugin.close() };
    },
    { properties, invalidProperties: { imageId: 'not-an-ami', instanceType: 't3.micro' } },
  );
}

function spec(group: string, op: string, extra: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    tags: { [TAG_GROUP]: group, [TAG_OP]: op },
    init: 'echo hello',
    attachments: [],
    properties,
    ...extra,
  };
}

describe('ec2 plugin on moto beyond the contract', { skip }, () => {
  it('pages through 12 instances 5 at a time, reporting launch time and where each lives', async () => {
    await server().reset();
    const plugin = createEc2Plugin({ client: server().client, pageSize: 5 });
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push(await plugin.provision(spec('paged', `op-${i}`)));
    const found = await plugin.describeInstances({ [TAG_GROUP]: 'paged' }, { properties: true });
    assert.deepEqual(found.map((d) => d.id).sort(), [...ids].sort());
    for (const d of found) {
      assert.equal(typeof d.createdAt, 'number', `${d.id}: no createdAt`);
      assert.ok(
        Math.abs((d.createdAt ?? 0) - Date.now()) < 24 * 3600_000,
        `${d.id}: createdAt ${d.createdAt}`,
      );
      const props = d.properties as Record<string, unknown>;
      assert.equal(props.instanceId, d.id);
      assert.match(String(props.privateIp), /^\d+\.\d+\.\d+\.\d+$/);
      assert.equal(props.imageId, MOTO_AMI);
    }
  });

  it('reports a stopped instance unhealthy and a running one healthy by its status checks', async () => {
    await server().reset();
    const plugin = createEc2Plugin({ client: server().client });
    const a = await plugin.provision(spec('health', 'op-a'));
    const b = await plugin.provision(spec('health', 'op-b'));
    await server().client.send(new StopInstancesCommand({ InstanceIds: [b] }));
    const found = await plugin.describeInstances({ [TAG_GROUP]: 'health' });
    const byId = new Map(found.map((d) => [d.id, d]));
    assert.equal(byId.get(a)?.platformHealth, 'healthy');
    assert.equal(byId.get(b)?.platformHealth, 'unhealthy');
    assert.match(byId.get(b)?.platformStatus ?? '', /^stopped/);
  });

  it('passes user data as the init script and shows console output as logs', async () => {
    await server().reset();
    const plugin = createEc2Plugin({ client: server().client });
    const id = await plugin.provision(spec('logs', 'op-logs', { init: '#!/bin/sh\necho booted' }));
    const attribute = await server().client.send(
      new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }),
    );
    const userData = Buffer.from(attribute.UserData?.Value ?? '', 'base64').toString('utf8');
    assert.equal(userData, '#!/bin/sh\necho booted');
    const text = await plugin.logs(id);
    assert.ok(text.length > 0, 'moto keeps a canned console output');
    const tail = await plugin.logs(id, { tailBytes: 10 });
    assert.equal(tail, text.slice(-10));
    await assert.rejects(plugin.logs(instanceId('i-0123456789abcdef0')), (e: unknown) =>
      TendError.is(e, 'not_found'),
    );
  });

  it('refuses a subnet EC2 does not know as invalid_spec, creating nothing', async () => {
    await server().reset();
    const plugin = createEc2Plugin({ client: server().client });
    await assert.rejects(
      plugin.provision(
        spec('bad', 'op-bad', { properties: { ...properties, subnetId: 'subnet-0000000000000000f' } }),
      ),
      (e: unknown) => TendError.is(e, 'invalid_spec') && /InvalidSubnetID.NotFound/.test(String(e)),
    );
    assert.deepEqual(await plugin.describeInstances({ [TAG_GROUP]: 'bad' }), []);
  });

  it('keeps a fixed private IP for a logical ID', async () => {
    await server().reset();
    const subnets = await server().client.send(new DescribeSubnetsCommand({}));
    const subnet = subnets.Subnets?.find((s) => s.CidrBlock?.startsWith('172.31.0.'));
    assert.ok(subnet?.SubnetId !== undefined, 'moto has a default subnet 172.31.0.0/20');
    const plugin = createEc2Plugin({ client: server().client });
    const props = {
      ...properties,
      subnetId: subnet.SubnetId,
      logicalIds: { a: { privateIp: '172.31.0.10' } },
    };
    const id = await plugin.provision(spec('pets', 'op-a', { properties: props, logicalId: logicalId('a') }));
    const [found] = await plugin.describeInstances({ [TAG_GROUP]: 'pets' }, { properties: true });
    assert.equal(found?.id, id);
    assert.equal(found?.logicalId, 'a');
    assert.equal((found?.properties as Record<string, unknown> | undefined)?.privateIp, '172.31.0.10');
  });

  it('moves a volume still attached to a stopped member to its replacement', async () => {
    await server().reset();
    const subnets = await server().client.send(new DescribeSubnetsCommand({}));
    const subnet = subnets.Subnets?.find((s) => s.CidrBlock === '172.31.0.0/20');
    assert.ok(subnet?.SubnetId !== undefined && subnet.AvailabilityZone !== undefined);
    const created = await server().client.send(
      new CreateVolumeCommand({ AvailabilityZone: subnet.AvailabilityZone, Size: 1 }),
    );
    const volume = created.VolumeId ?? '';
    const plugin = createEc2Plugin({
      client: server().client,
      attachPoll: { attempts: 50, intervalMs: 100 },
    });
    const props = { ...properties, subnetId: subnet.SubnetId, logicalIds: { a: { volumes: [volume] } } };
    const first = await plugin.provision(
      spec('mv', 'op-1', { properties: props, logicalId: logicalId('a') }),
    );
    const holder = async () =>
      (
        await server().client.send(new DescribeVolumesCommand({ VolumeIds: [volume] }))
      ).Volumes?.[0]?.Attachments?.find((a) => a.State === 'attached');
    assert.equal((await holder())?.InstanceId, first);
    assert.equal((await holder())?.Device, '/dev/sdf');
    // A live member keeps its disk: a second instance for the ID is refused before it is made.
    await assert.rejects(
      plugin.provision(spec('mv', 'op-2', { properties: props, logicalId: logicalId('a') })),
      (e: unknown) => TendError.is(e, 'conflict') && /attached to instance/.test(String(e)),
    );
    assert.equal((await plugin.describeInstances({ [TAG_GROUP]: 'mv' })).length, 1, 'nothing made');
    // Stopped (dead, not yet terminated): the replacement detaches it and takes it over.
    await server().client.send(new StopInstancesCommand({ InstanceIds: [first] }));
    const second = await plugin.provision(
      spec('mv', 'op-3', { properties: props, logicalId: logicalId('a') }),
    );
    assert.equal((await holder())?.InstanceId, second);
  });

  it('never hands back the credentials it was given', async () => {
    await server().reset();
    const plugin = createEc2Plugin({ client: server().client });
    const id = await plugin.provision(spec('secret', 'op-s'));
    const text = JSON.stringify(
      await plugin.describeInstances({ [TAG_GROUP]: 'secret' }, { properties: true }),
    );
    assert.ok(!text.includes(MOTO_SECRET_KEY));
    const error = await plugin.destroy(instanceId('x'), { reason: 'terminate' }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(!String(error).includes(MOTO_SECRET_KEY));
    assert.ok(id.startsWith('i-'));
  });
});

describe('tend plugin verify ec2', { skip }, () => {
  it('runs the contract against the endpoint from the SDK chain and reports every check passed', async () => {
    await server().reset();
    const { code, stdout, stderr } = await runCli(
      ['plugin', 'verify', 'ec2', '--properties', JSON.stringify(properties), '-o', 'json'],
      server().env(),
    );
    assert.equal(code, 0, `verify failed: ${stdout} ${stderr}`);
    const report = JSON.parse(stdout) as { ok: boolean; endpoint: string; checks: { ok: boolean }[] };
    assert.equal(report.ok, true);
    assert.equal(report.endpoint, server().endpoint);
    assert.ok(report.checks.length >= 9 && report.checks.every((c) => c.ok));
    assert.ok(!stdout.includes(MOTO_SECRET_KEY) && !stderr.includes(MOTO_SECRET_KEY));
  });

  it('checks an ec2 plugin a --plugin-config section names, endpoint from the file', async () => {
    await server().reset();
    const dir = await mkdtemp(join(tmpdir(), 'tend-ec2-verify-'));
    try {
      const file = join(dir, 'plugins.yaml');
      await writeFile(
        file,
        `plugins:\n  ec2-moto:\n    kind: ec2\n    config: { region: us-east-1, endpoint: "${server().endpoint}", pageSize: 5 }\n`,
      );
      const { AWS_ENDPOINT_URL_EC2: _endpoint, AWS_REGION: _region, ...credentialsOnly } = server().env();
      const { code, stdout, stderr } = await runCli(
        [
          'plugin',
          'verify',
          'ec2-moto',
          '--plugin-config',
          file,
          '--properties',
          JSON.stringify(properties),
          '-o',
          'json',
        ],
        { ...credentialsOnly, AWS_ENDPOINT_URL_EC2: '', AWS_REGION: '', TEND_HOME: dir },
      );
      assert.equal(code, 0, `verify failed: ${stdout} ${stderr}`);
      const report = JSON.parse(stdout) as { ok: boolean; kind: string; checks: { ok: boolean }[] };
      assert.equal(report.ok, true);
      assert.equal(report.kind, 'ec2');
      assert.ok(report.checks.length >= 9);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('without --properties says what it needs', async () => {
    const { code, stderr } = await runCli(['plugin', 'verify', 'ec2'], server().env());
    assert.notEqual(code, 0);
    assert.match(stderr, /needs --properties with at least an AMI and an instance type/);
  });
});
