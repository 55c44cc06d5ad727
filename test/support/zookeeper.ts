// Finds Debian's ZooKeeper (java + zookeeper.jar) for tests and benches, and reads/writes znodes
// through ZooKeeper's own CLI class, each call bounded in time.

import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { run } from './ensemble.js';

export const zookeeperJava = '/usr/bin/java';
export const zookeeperJar = '/usr/share/java/zookeeper.jar';
/** A quiet slf4j binding for the CLI; the servers use slf4j-simple (the flavor's default). */
const cliClasspath = `${zookeeperJar}:/usr/share/java/slf4j-nop.jar`;

/**
 * node:test's `skip` option for tests needing ZooKeeper: a reason when it is missing on a
 * developer's box; in CI (CI=true) never — there the test runs and fails loudly.
 */
export function zookeeperSkip(): string | false {
  if ((existsSync(zookeeperJava) && existsSync(zookeeperJar)) || process.env.CI === 'true') return false;
  return `needs ZooKeeper: ${zookeeperJar} or ${zookeeperJava} not found (apt-get install zookeeper)`;
}

/** Runs one zkCli command (`create /x v`, `get /x`) against `servers` (`host:port,…`); its stdout. */
export async function zkCli(servers: string, ...command: string[]): Promise<string> {
  return run(
    zookeeperJava,
    [
      '-Xmx64m',
      '-XX:+UseSerialGC',
      '-cp',
      cliClasspath,
      'org.apache.zookeeper.ZooKeeperMain',
      '-server',
      servers,
      ...command,
    ],
    60_000,
  );
}

/** The data of znode `path`: the last non-empty line zkCli prints for `get`. */
export async function zkGet(servers: string, path: string): Promise<string> {
  const out = await zkCli(servers, 'get', path);
  const lines = out
    .split('\n')
    .map((l) => l.trim())
    // zkCli prints its connection notice (`WATCHER::`, `WatchedEvent …`) before or after the data,
    // depending on how fast the session came up.
    .filter((l) => l !== '' && !l.startsWith('WatchedEvent') && !l.startsWith('WATCHER::'));
  const last = lines.at(-1);
  if (last === undefined) throw new Error(`zkCli get ${path}: empty answer`);
  return last;
}

/** The `Mode:` of one server by the `srvr` four-letter command; undefined when it does not serve. */
export function modeOf(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    const done = (mode: string | undefined) => {
      socket.destroy();
      resolve(mode);
    };
    socket.setTimeout(2000, () => done(undefined));
    socket.on('connect', () => socket.end('srvr'));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(/^Mode:\s*(\S+)/m.exec(Buffer.concat(chunks).toString())?.[1]));
  });
}
