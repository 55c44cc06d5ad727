import { createHmac, timingSafeEqual } from 'node:crypto';
import { TendError } from '../../../spi/index.js';

/** One usable line of an OpenSSH known_hosts file: which host patterns carry which key blob. */
interface KnownKey {
  patterns: string[];
  /** `|1|salt|hash` entries: the host name is only known hashed. */
  hashed?: { salt: Buffer; hash: Buffer };
  key: Buffer;
  revoked: boolean;
}

/**
 * Host keys Tend trusts, read from an OpenSSH known_hosts file. A host whose key is not listed
 * (or listed as @revoked) is refused: keys are never accepted on first use.
 */
export class KnownHosts {
  private readonly keys: KnownKey[];

  constructor(text: string, where: string) {
    this.keys = parseKnownHosts(text, where);
  }

  /** OpenSSH writes `host` for port 22 and `[host]:port` otherwise. */
  trusts(address: string, port: number, presented: Buffer): boolean {
    const name = port === 22 ? address : `[${address}]:${port}`;
    const matching = this.keys.filter((k) => matches(k, name));
    if (matching.some((k) => k.revoked && k.key.equals(presented))) return false;
    return matching.some((k) => !k.revoked && k.key.equals(presented));
  }
}

function matches(entry: KnownKey, name: string): boolean {
  if (entry.hashed !== undefined) {
    const digest = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return digest.length === entry.hashed.hash.length && timingSafeEqual(digest, entry.hashed.hash);
  }
  return entry.patterns.includes(name);
}

function parseKnownHosts(text: string, where: string): KnownKey[] {
  const keys: KnownKey[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@') === true) {
      const marker = fields.shift();
      // A CA line vouches for certificates, which Tend does not verify: it trusts no host by it.
      if (marker === '@cert-authority') return;
      if (marker !== '@revoked') throw bad(where, index, `unknown marker ${marker}`);
      revoked = true;
    }
    const [hosts, , blob] = fields;
    if (hosts === undefined || blob === undefined) throw bad(where, index, 'expected "host keytype key"');
    const key = Buffer.from(blob, 'base64');
    if (key.length === 0) throw bad(where, index, 'key is not base64');
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|');
      if (salt === undefined || hash === undefined) throw bad(where, index, 'malformed hashed host');
      keys.push({
        patterns: [],
        hashed: { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') },
        key,
        revoked,
      });
      return;
    }
    keys.push({ patterns: hosts.split(','), key, revoked });
  });
  return keys;
}

function bad(where: string, index: number, problem: string): TendError {
  return new TendError('invalid_spec', `${where}:${index + 1}: ${problem}`);
}
