// The ec2 plugin under a real manager (`tend up`, `tend apply`) against real moto_server: a group
// of 5 heals an instance terminated through the EC2 API by someone else and one that was
// stopped, rolls to a new AMI within maxSurge/maxUnavailable as moto's own instance list shows
// it, scales in the oldest, and `destroy` leaves nothing tagged. The AWS credentials the
// manager got through the SDK chain appear nowhere in what Tend stores, logs or answers.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  type Instance,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { e2eWorkspace, eventually, ManagerProcess, runCli } from '../support/manager.js';
import {
  MOTO_ACCESS_KEY,
  MOTO_AMI,
  MOTO_AMI_2,
  MOTO_SECRET_KEY,
  type MotoServer,
  motoSkip,
  startMoto,
} from '../support/moto.js';

const skip = motoSkip();
if (skip !== false) console.log(`# skipping ec2 group e2e: ${skip}`);
const group = 'web';
/** Hang guard on a loaded 2-core machine: 120 s polled every 200 ms. */
const patient = { attempts: 600, intervalMs: 200 };

let moto: MotoServer | undefined;
let workspace: Awaited<ReturnType<typeof e2eWorkspace>> | undefined;
let manager: ManagerProcess | undefined;

function server(): MotoServer {
  if (moto === undefined) throw new Error('moto is not running');
  return moto;
}
function running(): ManagerProcess {
  if (manager === undefined) throw new Error('no manager');
  return manager;
}

before(async () => {
  if (skip !== false) return;
  moto = await startMoto();
  workspace = await e2eWorkspace('ec2-group');
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

function specYaml(image: string, size: number): string {
  return `groups:
  - id: ${group}
    allocation: { size: ${size} }
    instance: { plugin: ec2, properties: { imageId: ${image}, instanceType: t3.micro } }
    flavor: { plugin: vanilla, properties: { init: ["echo hello from tend"] } }
    health: { grace: 0s, unhealthyAfter: 2s, maxInFlight: 1 }
    update: { maxSurge: 1, maxUnavailable: 0, healthyFor: 2s, timeout: 5m, onFailure: pause }
    scaleIn: { order: oldest }
`;
}

async function apply(image: string, size: number, wait: boolean): Promise<void> {
  const file = join(workspace?.dir ?? '/tmp', `spec-${image}-${size}.yaml`);
  await writeFile(file, specYaml(image, size));
  const args = [
    'apply',
    '-f',
    file,
    '--manager',
    running().url,
    ...(wait ? ['--timeout', '4m'] : ['--no-wait']),
  ];
  const result = await runCli(args, { TEND_TOKEN: running().token });
  assert.equal(result.code, 0, `tend apply failed:\n${result.stdout}\n${result.stderr}`);
}

/** moto's own view (not Tend's): the group's instances in every state. */
async function groupInstances(): Promise<Instance[]> {
  const answer = await server().client.send(
    new DescribeInstancesCommand({ Filters: [{ Name: 'tag:tend.group', Values: [group] }] }),
  );
  return (answer.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

const isLive = (i: Instance) => ['pending', 'running'].includes(i.State?.Name ?? '');

async function liveExactly(count: number, check: (live: Instance[]) => boolean = () => true) {
  return eventually(
    `${count} live instances in ${group}`,
    async () => {
      const all = await groupInstances();
      const live = all.filter(isLive);
      const settled = all.every((i) => isLive(i) || i.State?.Name === 'terminated');
      return live.length === count && settled && check(live) ? live : undefined;
    },
    patient,
  );
}

describe('ec2 group through tend apply on moto', { skip }, () => {
  it('creates a group of 5 tagged instances running the flavor init as user data', async () => {
    await apply(MOTO_AMI, 5, true);
    const live = await liveExactly(5);
    for (const instance of live) {
      const tags = Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key, t.Value]));
      assert.equal(tags['tend.group'], group);
      assert.match(tags['tend.op'] ?? '', /^web:/);
      assert.equal(instance.ImageId, MOTO_AMI);
      const attribute = await server().client.send(
        new DescribeInstanceAttributeCommand({
          InstanceId: instance.InstanceId ?? '',
          Attribute: 'userData',
        }),
      );
      const userData = Buffer.from(attribute.UserData?.Value ?? '', 'base64').toString('utf8');
      assert.match(userData, /echo hello from tend/);
      assert.ok(!userData.includes(MOTO_SECRET_KEY) && !userData.includes(MOTO_ACCESS_KEY));
    }
  });

  it('replaces an instance another operator terminated through the EC2 API', async () => {
    const [victim] = await liveExactly(5);
    const id = victim?.InstanceId ?? '';
    await server().client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await liveExactly(5, (live) => live.every((i) => i.InstanceId !== id));
  });

  it('replaces a stopped instance once it has been unhealthy for unhealthyAfter', async () => {
    const [victim] = await liveExactly(5);
    const id = victim?.InstanceId ?? '';
    await server().client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await eventually(
      `stopped ${id} terminated by Tend and replaced`,
      async () => {
        const all = await groupInstances();
        const stopped = all.find((i) => i.InstanceId === id);
        return stopped?.State?.Name === 'terminated' && all.filter(isLive).length === 5 ? true : undefined;
      },
      patient,
    );
    const events = await running().client.events(0, 1000, { group });
    const unhealthy = events.events.find((e) => e.type === 'unhealthy' && JSON.stringify(e).includes(id));
    assert.ok(unhealthy !== undefined, `no unhealthy event for ${id}`);
  });

  it('rolls to a new AMI with never more than 6 or fewer than 5 live instances in moto', async () => {
    await liveExactly(5);
    const samples: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push((await groupInstances()).filter(isLive).length);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await apply(MOTO_AMI_2, 5, true);
      await liveExactly(5, (live) => live.every((i) => i.ImageId === MOTO_AMI_2));
    } finally {
      sampling = false;
      await sampler;
    }
    console.log(
      `# rolling update: ${samples.length} samples of moto's live count, min ${Math.min(...samples)}, max ${Math.max(...samples)}`,
    );
    assert.ok(samples.length >= 5, 'the sampler saw the update');
    assert.ok(Math.max(...samples) <= 6, `maxSurge 1 exceeded: ${samples.join(',')}`);
    assert.ok(Math.min(...samples) >= 5, `maxUnavailable 0 broken: ${samples.join(',')}`);
    assert.ok(samples.includes(6), 'the update surged (one extra at a time)');
  });

  it('scales 5 → 2 by terminating the 3 oldest', async () => {
    const before = await liveExactly(5);
    const byAge = [...before].sort((a, b) => (a.LaunchTime?.getTime() ?? 0) - (b.LaunchTime?.getTime() ?? 0));
    const newest = byAge.slice(3).map((i) => i.InstanceId ?? '');
    const result = await runCli(['scale', group, '2', '--manager', running().url], {
      TEND_TOKEN: running().token,
    });
    assert.equal(result.code, 0, result.stderr);
    const after = await liveExactly(2);
    assert.deepEqual(after.map((i) => i.InstanceId ?? '').sort(), newest.sort());
  });

  it('destroy leaves no live instance with Tend tags', async () => {
    const result = await runCli(['destroy', group, '--manager', running().url], {
      TEND_TOKEN: running().token,
    });
    assert.equal(result.code, 0, result.stderr);
    await eventually(
      'no live instance tagged tend.group',
      async () => {
        const answer = await server().client.send(
          new DescribeInstancesCommand({
            Filters: [
              { Name: 'tag-key', Values: ['tend.group'] },
              { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
            ],
          }),
        );
        return (answer.Reservations ?? []).flatMap((r) => r.Instances ?? []).length === 0 ? true : undefined;
      },
      patient,
    );
  });

  it('never stored, logged or answered the AWS credentials', async () => {
    const texts: string[] = [await readFile(running().logFile, 'utf8')];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) texts.push(await readFile(path, 'utf8').catch(() => ''));
      }
    };
    await walk(workspace?.dir ?? '/nonexistent');
    texts.push(JSON.stringify(await running().client.events(0, 1000)));
    texts.push(JSON.stringify(await running().client.status()));
    texts.push(running().lines.join('\n'));
    assert.ok(texts.length > 3);
    for (const text of texts) {
      assert.ok(!text.includes(MOTO_SECRET_KEY), 'the secret key showed up');
      assert.ok(!text.includes(MOTO_ACCESS_KEY), 'the access key showed up');
    }
  });
});
