import { createHash } from 'node:crypto';
import type { Health } from '../../../spi/index.js';
import type { SwarmNode } from './swarm-gateway.js';

/**
 * An instance's link: `<group>/<member>/<hash>`, member being the logical ID (`-` for workers)
 * and hash a digest of the provision's idempotency key, so a retried provision gets the same link
 * and every new instance a new one. The instance's engine carries it as the `tend.swarm.link`
 * label; that is how a node is matched to its instance, and old nodes of a member are found.
 */
export function makeLink(group: string, member: string | undefined, opKey: string): string {
  const hash = createHash('sha256').update(opKey).digest('hex').slice(0, 12);
  return `${group}/${member ?? '-'}/${hash}`;
}

export function parseLink(link: string | undefined): { group: string; member: string } | undefined {
  if (link === undefined) return undefined;
  const last = link.lastIndexOf('/');
  const middle = link.lastIndexOf('/', last - 1);
  if (middle <= 0) return undefined;
  return { group: link.slice(0, middle), member: link.slice(middle + 1, last) };
}

/** Votes a Raft cluster of `size` managers needs to make progress. */
export function quorum(size: number): number {
  return Math.floor(size / 2) + 1;
}

export function managers(nodes: readonly SwarmNode[]): SwarmNode[] {
  return nodes.filter((n) => n.role === 'manager');
}

export function reachable(nodes: readonly SwarmNode[]): SwarmNode[] {
  return managers(nodes).filter((n) => n.manager?.reachability === 'reachable');
}

/** The node an instance is: the live one if any, else the latest (an engine that rejoined has two). */
export function nodeOf(nodes: readonly SwarmNode[], link: string): SwarmNode | undefined {
  const mine = nodes.filter((n) => n.link === link);
  return [...mine].sort((a, b) => rank(b) - rank(a) || b.updatedAt - a.updatedAt)[0];
}

function rank(node: SwarmNode): number {
  return node.state === 'ready' ? 2 : node.state === 'down' ? 0 : 1;
}

/**
 * Ready and active (or paused by an operator) is healthy; down, disconnected or an unreachable
 * manager is unhealthy. A drained node is out of service but not broken (an operator's
 * maintenance, or the flavor's own drain before a destroy): `unknown`, never replaced for it.
 */
export function nodeHealth(node: SwarmNode | undefined): Health {
  if (node === undefined) return 'unhealthy';
  if (node.state === 'down' || node.state === 'disconnected') return 'unhealthy';
  if (node.manager !== undefined && node.manager.reachability === 'unreachable') return 'unhealthy';
  if (node.state !== 'ready') return 'unknown';
  return node.availability === 'drain' ? 'unknown' : 'healthy';
}

/**
 * Nodes of `group` that are dead and whose instance is gone: down and drained (the flavor drains a
 * node right before its instance is destroyed), or down for `removeDownAfter` (an instance that
 * vanished without a destroy). Managers among them are demoted before removal.
 */
export function deadNodes(
  nodes: readonly SwarmNode[],
  group: string,
  now: number,
  removeDownAfter: number,
): SwarmNode[] {
  return nodes.filter(
    (n) =>
      n.state === 'down' &&
      parseLink(n.link)?.group === group &&
      (n.availability === 'drain' || now - n.updatedAt >= removeDownAfter),
  );
}

/** Addresses new nodes join through: every reachable manager's, sorted (deterministic Init). */
export function joinAddresses(nodes: readonly SwarmNode[]): string[] {
  return reachable(nodes)
    .map((n) => n.manager?.addr ?? '')
    .filter((a) => a !== '')
    .sort();
}
