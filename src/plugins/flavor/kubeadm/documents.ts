import { stringify } from 'yaml';
import type { KubeadmProperties } from './properties.js';
import type { ClusterSecrets } from './secrets.js';

export const kubeadmApiVersion = 'kubeadm.k8s.io/v1beta4';

export type KubeadmAction = 'init' | 'join-control-plane' | 'join-worker';

export interface NodeIdentity {
  /** Node name; also how health finds the node. */
  name: string;
  clusterName: string;
}

/**
 * The kubeadm configuration for one node, as a multi-document YAML string: `InitConfiguration` +
 * `ClusterConfiguration` for the node that creates the cluster, `JoinConfiguration` for the others.
 * `discovery.bootstrapToken.caCertHashes` is the config-file form of
 * `--discovery-token-ca-cert-hash sha256:…` (kubeadm refuses mixing that flag with `--config`).
 */
export function kubeadmDocuments(
  properties: KubeadmProperties,
  action: KubeadmAction,
  node: NodeIdentity,
  secrets: ClusterSecrets,
): Array<Record<string, unknown>> {
  const nodeRegistration = { name: node.name, criSocket: properties.criSocket };
  if (action === 'init') {
    const networking: Record<string, string> = {};
    if (properties.podSubnet !== undefined) networking.podSubnet = properties.podSubnet;
    if (properties.serviceSubnet !== undefined) networking.serviceSubnet = properties.serviceSubnet;
    return [
      {
        apiVersion: kubeadmApiVersion,
        kind: 'InitConfiguration',
        bootstrapTokens: [
          {
            token: secrets.token,
            description: 'issued by Tend for nodes of this group',
            ttl: properties.tokenTtl,
            usages: ['signing', 'authentication'],
            groups: ['system:bootstrappers:kubeadm:default-node-token'],
          },
        ],
        nodeRegistration,
        certificateKey: secrets.certificateKey,
      },
      {
        apiVersion: kubeadmApiVersion,
        kind: 'ClusterConfiguration',
        clusterName: node.clusterName,
        kubernetesVersion: properties.kubernetesVersion,
        controlPlaneEndpoint: properties.controlPlaneEndpoint,
        ...(Object.keys(networking).length > 0 ? { networking } : {}),
      },
    ];
  }
  const join: Record<string, unknown> = {
    apiVersion: kubeadmApiVersion,
    kind: 'JoinConfiguration',
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: properties.controlPlaneEndpoint,
        token: secrets.token,
        caCertHashes: [...properties.caCertHashes],
      },
    },
    nodeRegistration,
  };
  if (action === 'join-control-plane') join.controlPlane = { certificateKey: secrets.certificateKey };
  return [join];
}

export function toYaml(documents: ReadonlyArray<Record<string, unknown>>): string {
  return documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}
