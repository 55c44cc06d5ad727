import { z } from 'zod';
import { parsePluginProperties } from '../../../lib/index.js';
import type { JsonValue } from '../../../spi/index.js';

const propertiesSchema = z.strictObject({
  role: z.enum(['control-plane', 'worker']),
  /** `host:port` of the API server every node joins through (a load balancer for HA). */
  controlPlaneEndpoint: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'expected host:port like 10.0.0.10:6443'),
  kubernetesVersion: z.string().regex(/^v[0-9]+\.[0-9]+\.[0-9]+$/, 'expected a version like v1.31.2'),
  /**
   * Pins the cluster CA for joining nodes (`--discovery-token-ca-cert-hash`): sha256 of the CA's
   * Subject Public Key Info. The operator creates the CA up front (`kubeadm init phase certs ca`).
   */
  caCertHashes: z.array(z.string().regex(/^sha256:[a-f0-9]{64}$/, 'expected sha256:<64 hex digits>')).min(1),
  /** How long a bootstrap token lives; a fresh one is issued when it nears its end. */
  tokenTtl: z
    .string()
    .regex(/^[0-9]+h(?:[0-9]+m)?(?:[0-9]+s)?$/, 'expected a Go duration like 24h0m0s')
    .default('24h0m0s'),
  criSocket: z
    .string()
    .startsWith('unix:///', 'expected unix:///path')
    .default('unix:///var/run/containerd/containerd.sock'),
  podSubnet: z
    .string()
    .regex(/^[0-9.]+\/[0-9]{1,2}$/, 'expected a CIDR like 10.244.0.0/16')
    .optional(),
  serviceSubnet: z
    .string()
    .regex(/^[0-9.]+\/[0-9]{1,2}$/, 'expected a CIDR like 10.96.0.0/12')
    .optional(),
  /** Where the init script writes the kubeadm configuration on the node (mode 0600). */
  configDir: z.string().startsWith('/', 'expected an absolute path').default('/etc/tend/kubeadm'),
  kubeadm: z.string().startsWith('/', 'expected an absolute path').default('/usr/bin/kubeadm'),
  /** When given, health is the node's Ready condition read with kubectl. */
  kubeconfig: z.string().startsWith('/', 'expected an absolute path').optional(),
  kubectl: z.string().startsWith('/', 'expected an absolute path').default('/usr/bin/kubectl'),
});

export type KubeadmProperties = z.infer<typeof propertiesSchema>;

export function parseKubeadmProperties(properties: JsonValue | undefined): KubeadmProperties {
  return parsePluginProperties(propertiesSchema, properties, 'kubeadm flavor');
}

/** Seconds in a Go duration like `24h0m0s`. */
export function durationSeconds(value: string): number {
  const match = /^([0-9]+)h(?:([0-9]+)m)?(?:([0-9]+)s)?$/.exec(value);
  if (match === null) return 0;
  return Number(match[1]) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}
