import { TendError } from '../../../spi/index.js';
import type { EtcdGateway, EtcdMember } from './etcd-gateway.js';

/** Votes a cluster of `size` members needs to make progress. */
export function quorum(size: number): number {
  return Math.floor(size / 2) + 1;
}

export interface LiveCluster {
  /** A client URL that answered; later changes go through it. */
  endpoint: string;
  members: EtcdMember[];
  /** How many of the asked client URLs answered: members that are up, leader or not. */
  answering: number;
}

/**
 * The member list from the first of `clientUrls` that answers (all are asked at once, each call
 * bounded); undefined when none does (no cluster yet, or none of those members runs).
 */
export async function findCluster(
  gateway: EtcdGateway,
  clientUrls: readonly string[],
  signal?: AbortSignal,
): Promise<LiveCluster | undefined> {
  const answers = await Promise.allSettled(clientUrls.map((url) => gateway.memberList(url, signal)));
  let found: LiveCluster | undefined;
  let answering = 0;
  answers.forEach((answer, i) => {
    const endpoint = clientUrls[i];
    if (answer.status !== 'fulfilled' || endpoint === undefined) return;
    answering++;
    found ??= { endpoint, members: answer.value, answering: 0 };
  });
  return found === undefined ? undefined : { ...found, answering };
}

/** Started members whose `/health` answers true. */
export async function healthyMembers(
  gateway: EtcdGateway,
  members: readonly EtcdMember[],
  signal?: AbortSignal,
): Promise<EtcdMember[]> {
  const checks = await Promise.all(
    members.map(async (m) => {
      const url = m.clientUrls[0];
      if (m.name === '' || url === undefined) return false;
      return gateway.health(url, signal).catch(() => false);
    }),
  );
  return members.filter((_, i) => checks[i] === true);
}

/** The member that is (or was) `name` at `peerUrl`: by name once started, by peer URL before. */
export function findMember(
  members: readonly EtcdMember[],
  name: string,
  peerUrl: string,
): EtcdMember | undefined {
  return members.find((m) => m.name === name || m.peerUrls.includes(peerUrl));
}

/**
 * Throws unless removing `target` leaves enough healthy members for the smaller cluster's quorum:
 * the flavor never takes a step that would stop the cluster from accepting writes.
 */
export async function assertRemovalKeepsQuorum(
  gateway: EtcdGateway,
  cluster: LiveCluster,
  target: EtcdMember,
  signal?: AbortSignal,
): Promise<void> {
  const others = cluster.members.filter((m) => m.id !== target.id);
  const healthy = await healthyMembers(gateway, others, signal);
  const needed = quorum(others.length);
  if (healthy.length < needed) {
    const label = target.name === '' ? target.id : target.name;
    throw new TendError(
      'conflict',
      `etcd flavor: will not remove member ${label}: only ${healthy.length} of the other ${others.length} members ` +
        `are healthy (${names(healthy)}), and the ${others.length}-member cluster left needs ${needed}`,
    );
  }
}

/** `a=http://…,b=http://…` for `--initial-cluster`; `self` names the member not yet started. */
export function initialClusterOf(
  members: readonly EtcdMember[],
  self: { name: string; peerUrl: string },
): string {
  return members
    .flatMap((m) => {
      const name = m.name !== '' ? m.name : m.peerUrls.includes(self.peerUrl) ? self.name : undefined;
      return name === undefined ? [] : m.peerUrls.map((url) => `${name}=${url}`);
    })
    .join(',');
}

export function names(members: readonly EtcdMember[]): string {
  return members.length === 0 ? 'none' : members.map((m) => m.name || m.id).join(', ');
}
