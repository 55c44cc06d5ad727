import { shellQuote } from '../../../lib/index.js';
import type { EtcdMemberAddress, EtcdProperties } from './properties.js';

export type ClusterState = 'new' | 'existing';

/**
 * The member's boot script for `sh -c`. A member joining a running cluster starts from an empty
 * data dir: an old one would carry the removed member's ID and be refused by its peers.
 */
export function etcdInitScript(
  properties: EtcdProperties,
  self: EtcdMemberAddress,
  initialCluster: string,
  state: ClusterState,
): string {
  const flags = [
    `--name=${self.name}`,
    `--data-dir=${self.dataDir}`,
    `--listen-peer-urls=${self.peerUrl}`,
    `--initial-advertise-peer-urls=${self.peerUrl}`,
    `--listen-client-urls=${self.clientUrl}`,
    `--advertise-client-urls=${self.clientUrl}`,
    `--initial-cluster=${initialCluster}`,
    `--initial-cluster-state=${state}`,
    `--initial-cluster-token=${properties.clusterToken}`,
    ...properties.extraFlags,
  ];
  const lines = [`mkdir -p ${shellQuote(parentOf(self.dataDir))}`];
  if (state === 'existing') lines.push(`rm -rf ${shellQuote(self.dataDir)}`);
  lines.push(`exec ${shellQuote(properties.binary)} \\\n  ${flags.map(shellQuote).join(' \\\n  ')}`);
  return `${lines.join('\n')}\n`;
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}
