import type { Clock, Logger } from '../../../lib/index.js';
import { TendError } from '../../../spi/index.js';
import { managers, parseLink, quorum, reachable } from './membership.js';
import type { SwarmProperties } from './properties.js';
import type { SwarmGateway, SwarmNode } from './swarm-gateway.js';

/**
 * Per group, the manager last prepared and until when it may take to join. In memory only: after
 * a restart or failover the next prepare does not wait for a join it cannot know about, and the
 * quorum check still holds (it counts the managers the swarm reports).
 */
export type PendingJoins = Map<string, { link: string; until: number }>;

/** Throws `conflict` unless the swarm keeps quorum with `target` no longer a manager. */
export function assertDemotionKeepsQuorum(nodes: readonly SwarmNode[], target: SwarmNode): void {
  const left = managers(nodes).filter((n) => n.id !== target.id);
  const up = reachable(left);
  if (left.length > 0 && up.length < quorum(left.length)) {
    throw new TendError(
      'conflict',
      `swarm flavor: will not demote ${label(target)}: of the ${left.length} managers left only ${up.length} ` +
        `are reachable, and they need ${quorum(left.length)} for quorum`,
    );
  }
}

export interface MakeRoomInput {
  gateway: SwarmGateway;
  logger: Logger;
  clock: Clock;
  pending: PendingJoins;
  props: SwarmProperties;
  group: string;
  member: string;
  link: string;
  signal?: AbortSignal | undefined;
}

/**
 * Before a manager for `member` joins: refuses while the group's previous manager is still
 * joining (one at a time); demotes, and removes if dead, the member's old node (the old goes
 * before the new joins); refuses when the swarm would lack quorum should the newcomer never come up.
 */
export async function makeRoomForManager(input: MakeRoomInput): Promise<void> {
  const { gateway, logger, clock, pending, group, member, link, signal } = input;
  let nodes = await gateway.nodes(signal);
  const waiting = pending.get(group);
  if (waiting !== undefined && waiting.link !== link && clock.now() < waiting.until) {
    // Joined at all is enough: a newcomer that joined and died is replaced, not waited for.
    const joined = nodes.some((n) => n.link === waiting.link);
    if (!joined) {
      throw new TendError(
        'conflict',
        `swarm flavor: manager ${waiting.link} was prepared but has not joined yet; managers join one at a time`,
      );
    }
  }
  const olds = nodes.filter((n) => {
    const parsed = parseLink(n.link);
    return n.link !== link && n.role === 'manager' && parsed?.group === group && parsed.member === member;
  });
  for (const old of olds) {
    assertDemotionKeepsQuorum(nodes, old);
    await gateway.updateNode(old, { role: 'worker' }, signal);
    logger.info('manager demoted', { member, node: old.id, reason: 'replaced' });
    if (old.state === 'down') {
      await gateway.removeNode(old.id, signal);
      logger.info('dead node removed', { member, node: old.id, reason: 'replaced' });
    }
    nodes = await gateway.nodes(signal);
  }
  const already = nodes.some((n) => n.link === link && n.role === 'manager');
  const size = managers(nodes).length + (already ? 0 : 1);
  const up = reachable(nodes).length;
  if (up < quorum(size)) {
    throw new TendError(
      'conflict',
      `swarm flavor: will not add manager ${member}: the swarm would have ${size} managers with only ${up} ` +
        `reachable, short of the ${quorum(size)} quorum needs if the new one does not come up`,
    );
  }
  pending.set(group, { link, until: clock.now() + input.props.joinTimeout });
}

/**
 * Refuses an allocation that drops so many Tend-made managers that fewer than a quorum of today's
 * managers would stay (the controller demotes them one by one, but the swarm would be left unable
 * to survive a single failure on the way). Validate is not told the group, so every manager
 * carrying a link counts: one manager group per swarm. No reachable swarm means nothing to lose.
 */
export async function assertAllocationKeepsQuorum(
  gateway: SwarmGateway,
  logicalIds: readonly string[],
  signal?: AbortSignal,
): Promise<void> {
  let nodes: SwarmNode[];
  try {
    nodes = await gateway.nodes(signal);
  } catch (error) {
    if (TendError.is(error, 'unavailable')) return;
    throw error;
  }
  const current = managers(nodes).filter((n) => n.state !== 'down');
  const dropped = current.filter((n) => {
    const parsed = parseLink(n.link);
    return parsed !== undefined && !logicalIds.includes(parsed.member);
  });
  const kept = current.length - dropped.length;
  if (dropped.length > 0 && kept < quorum(current.length)) {
    throw new TendError(
      'invalid_spec',
      `swarm flavor: allocation.logicalIds drops ${dropped.length} of the swarm's ${current.length} managers ` +
        `(${dropped.map(label).join(', ')}); ${quorum(current.length)} must stay for quorum — remove managers a few at a time`,
    );
  }
}

function label(node: SwarmNode): string {
  return node.hostname === '' ? node.id : `${node.hostname} (${node.id})`;
}
