import { randomBytes } from 'node:crypto';

/** Cryptographically random bytes; injected in tests to make golden files. */
export type RandomBytes = (size: number) => Buffer;

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A kubeadm bootstrap token, `[a-z0-9]{6}.[a-z0-9]{16}`, by rejection sampling (no modulo bias). */
export function generateBootstrapToken(random: RandomBytes = randomBytes): string {
  const chars: string[] = [];
  while (chars.length < 22) {
    for (const byte of random(32)) {
      // 252 = 7 × 36: bytes above it would favour the first letters.
      if (byte < 252 && chars.length < 22) chars.push(alphabet[byte % 36] ?? 'a');
    }
  }
  return `${chars.slice(0, 6).join('')}.${chars.slice(6).join('')}`;
}

/** The 32-byte AES key (hex) control-plane nodes use to fetch the shared certificates. */
export function generateCertificateKey(random: RandomBytes = randomBytes): string {
  return random(32).toString('hex');
}

/** Token and key shapes are redacted by the shared `redactSecrets` (lib), re-exported here. */
export { redactSecrets } from '../../../lib/index.js';

export interface ClusterSecrets {
  token: string;
  certificateKey: string;
  /** Epoch ms after which a new token is issued. */
  renewAt: number;
}
