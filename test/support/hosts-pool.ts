// A `hosts` plugin configuration over the netns test hosts, and SSH checks a test runs on a host
// itself (not through the plugin) to see what really is there.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type HostsConfig,
  type HostsConfigInput,
  KnownHosts,
  parseHostsConfig,
  sshExec,
} from '../../src/plugins/instance/hosts/index.js';
import type { NetnsHost, NetnsHosts } from './netns-hosts.js';

/** Claim dir of a netns host: under its own root, since all hosts share this machine's disk. */
export function claimDirOf(host: NetnsHost): string {
  return join(host.root, 'tend');
}

/** Every host of `lab`, labelled `rack: r1|r2` alternately, with short timeouts for tests. */
export function poolConfig(lab: NetnsHosts, extra: Partial<HostsConfigInput> = {}): HostsConfig {
  return parseHostsConfig({
    pool: lab.hosts.map((host, index) => ({
      name: host.name,
      address: host.address,
      port: host.port,
      user: lab.user,
      keyFile: lab.clientKeyPath,
      labels: { rack: index % 2 === 0 ? 'r1' : 'r2' },
      claimDir: claimDirOf(host),
    })),
    knownHostsFile: lab.knownHostsPath,
    connectTimeoutMs: 4000,
    describeTimeoutMs: 8000,
    ...extra,
  });
}

/** A `--plugin-config` file with one `kind: hosts` section named `name` over the lab's hosts. */
export async function writePoolFile(
  lab: NetnsHosts,
  file: string,
  name = 'hosts',
  extra: Partial<HostsConfigInput> = {},
): Promise<void> {
  const config = poolConfig(lab, extra);
  // JSON is YAML: the file is read by the same parser as any hand-written one.
  await writeFile(file, JSON.stringify({ plugins: { [name]: { kind: 'hosts', config } } }, null, 2));
}

/** Runs `command` on `host` over SSH (host key checked) and returns its stdout. */
export async function onHost(lab: NetnsHosts, host: NetnsHost, command: string): Promise<string> {
  const known = new KnownHosts(readFileSync(lab.knownHostsPath, 'utf8'), lab.knownHostsPath);
  const result = await sshExec(
    {
      name: host.name,
      address: host.address,
      port: host.port,
      user: lab.user,
      privateKey: readFileSync(lab.clientKeyPath),
    },
    known,
    { command, connectTimeoutMs: 3000, timeoutMs: 10_000 },
  );
  if (result.code !== 0)
    throw new Error(`on ${host.name}: ${command} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** The claim on `host` as the host itself says: `free`, or the claim record's JSON. */
export async function claimOn(
  lab: NetnsHosts,
  host: NetnsHost,
): Promise<{ id: string; op?: string; tags: Record<string, string> } | undefined> {
  const dir = claimDirOf(host);
  const out = await onHost(
    lab,
    host,
    `if [ -L ${dir}/claim ]; then cat ${dir}/$(readlink ${dir}/claim); else echo free; fi`,
  );
  return out.trim() === 'free' ? undefined : JSON.parse(out);
}
