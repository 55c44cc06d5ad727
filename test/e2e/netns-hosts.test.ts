// The netns host harness itself: each host answers SSH on its own address with its own key, and
// cut off / bring back / stop / start do what they say; close leaves nothing behind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { KnownHosts, sshExec } from '../../src/plugins/instance/hosts/index.js';
import { isAlive } from '../support/manager.js';
import { type NetnsHost, type NetnsHosts, netnsSkipReason, startNetnsHosts } from '../support/netns-hosts.js';

const skip = netnsSkipReason();

describe('netns hosts harness', { skip }, () => {
  let lab: NetnsHosts;
  let known: KnownHosts;
  before(async () => {
    lab = await startNetnsHosts({ count: 2 });
    known = new KnownHosts(readFileSync(lab.knownHostsPath, 'utf8'), lab.knownHostsPath);
  });
  after(async () => {
    await lab?.close();
  });

  const hello = (host: NetnsHost, connectTimeoutMs = 3000) =>
    sshExec(
      {
        name: host.name,
        address: host.address,
        port: host.port,
        user: lab.user,
        privateKey: readFileSync(lab.clientKeyPath),
      },
      known,
      {
        command: 'echo "$NETNS_HOST_NAME $NETNS_HOST_ROOT"',
        connectTimeoutMs,
        timeoutMs: connectTimeoutMs + 2000,
      },
    );

  test('each host answers on its own address, its host key verified', async () => {
    for (const host of lab.hosts) {
      const result = await hello(host);
      assert.equal(result.stdout.trim(), `${host.name} ${host.root}`);
    }
  });

  test('a host key missing from known_hosts is refused', async () => {
    const [h1, h2] = lab.hosts;
    assert.ok(h1 !== undefined && h2 !== undefined);
    // h2's key listed for h1's address only: h2 presents a key nobody vouches for.
    const onlyH1 = readFileSync(lab.knownHostsPath, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(`${h1.address} `))
      .join('\n');
    const run = sshExec(
      {
        name: h2.name,
        address: h2.address,
        port: 22,
        user: lab.user,
        privateKey: readFileSync(lab.clientKeyPath),
      },
      new KnownHosts(onlyH1, 'test'),
      { command: 'true', connectTimeoutMs: 3000, timeoutMs: 5000 },
    );
    await assert.rejects(run, (e: Error & { kind?: string }) => e.kind === 'invalid_spec');
  });

  test('cut off: no answer; brought back: answers again', async () => {
    const host = lab.hosts[0];
    assert.ok(host !== undefined);
    await host.cutOff();
    await assert.rejects(
      hello(host, 800),
      (e: Error & { kind?: string }) => e.kind === 'unavailable' || e.kind === 'timeout',
    );
    await host.bringBack();
    assert.equal((await hello(host)).stdout.trim().split(' ')[0], host.name);
  });

  test('sshd stopped: refused; started: answers again', async () => {
    const host = lab.hosts[1];
    assert.ok(host !== undefined);
    const pid = host.sshdPid();
    assert.ok(pid !== undefined);
    await host.stopSshd();
    assert.equal(isAlive(pid), false);
    await assert.rejects(hello(host), (e: Error & { kind?: string }) => e.kind === 'unavailable');
    await host.startSshd();
    assert.equal((await hello(host)).stdout.trim().split(' ')[0], host.name);
  });

  test('close removes every namespace, sshd and the bridge', async () => {
    const pids = lab.hosts.map((h) => h.sshdPid());
    const names = lab.hosts.map((h) => h.netns);
    await lab.close();
    for (const pid of pids) if (pid !== undefined) assert.equal(isAlive(pid), false);
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const name of names) assert.equal(left.includes(name), false, `${name} left behind`);
  });
});
