import { randomBytes } from 'node:crypto';

/** Cryptographically random bytes; injected in tests to make golden files. */
export type RandomBytes = (size: number) => Buffer;

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
const tokenPattern = /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g;
const certificateKeyPattern = /\b[a-f0-9]{64}\b/g;

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

/**
 * Removes anything shaped like a bootstrap token or certificate key from text bound for logs,
 * errors or events. CA hashes are public pins; they keep their `sha256:` prefix and survive.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(tokenPattern, '[redacted-token]')
    .replace(certificateKeyPattern, (hex, offset: number, whole: string) =>
      whole.slice(Math.max(0, offset - 7), offset) === 'sha256:' ? hex : '[redacted-key]',
    );
}

export interface ClusterSecrets {
  token: string;
  certificateKey: string;
  /** Epoch ms after which a new token is issued. */
  renewAt: number;
}
