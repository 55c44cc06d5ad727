// Join secrets that flavors put into boot scripts, removed from text bound for logs, errors,
// events and describe output. One place, so every plugin that shows an Init redacts them all.
const kubeadmTokenPattern = /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g;
const certificateKeyPattern = /\b[a-f0-9]{64}\b/g;
/** Docker swarm join tokens: `SWMTKN-1-<cluster CA digest>-<secret>`. */
const swarmTokenPattern = /\bSWMTKN-1-[A-Za-z0-9]+-[A-Za-z0-9]+/g;

/**
 * Removes kubeadm bootstrap tokens and certificate keys and swarm join tokens. CA hashes are
 * public pins; they keep their `sha256:` prefix and survive.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(swarmTokenPattern, '[redacted-swarm-token]')
    .replace(kubeadmTokenPattern, '[redacted-token]')
    .replace(certificateKeyPattern, (hex, offset: number, whole: string) =>
      whole.slice(Math.max(0, offset - 7), offset) === 'sha256:' ? hex : '[redacted-key]',
    );
}
