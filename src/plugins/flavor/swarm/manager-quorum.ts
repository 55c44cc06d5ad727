import { type Clock, KeyedSerial, type Logger } from '../../../lib/index.js';
import { TendError } from '../../../spi/index.js';
import { managers, parseLink, quorum, reachable } from './membership.js';
import type { SwarmProperties } from './properties.js';
import type { SwarmGateway, SwarmNode } from './swarm-gateway.js';

/**
 * Per group, the manager last prepared and until when it may take to join, and the queue that
 * makes prepares of one group's managers take turns. In memory only: after a restart or failover
 * the next prepare does not wait for a join it cannot know about, and the quorum check still holds
 * (it counts the managers the swarm reports).
 */
export interface PendingJoins {
  last: Map<string, { link: string; until: number }>;
  turns: KeyedSerial;
}

export function pendingJoins(): PendingJoins {
  return { last: new Map(), turns: new KeyedSerial() };
}

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
  /** Between two looks at whether the previous manager has joined. */
  pollMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * Before a manager for `member` joins: waits until the group's previous manager (another
 * provision) has joined, or its `joinTimeout` has passed: one join at a time, and a group's first
 * managers, created side by side, queue here rather than fail. Then, in turn with the group's
 * other prepares, demotes and (if dead) removes the member's old node — the old goes before the
 * new joins — and refuses when the swarm would lack quorum should the newcomer never come up.
 */
export async function makeRoomForManager(input: MakeRoomInput): Promise<void> {
  const { clock, pending, group, link, signal } = input;
  for (let waited = false; ; waited = true) {
    const done = await pending.turns.run(group, async () => {
      const nodes = await input.gateway.nodes(signal);
      const previous = pending.last.get(group);
      const free =
        previous === undefined ||
        previous.link === link ||
        clock.now() >= previous.until ||
        nodes.some((n) => n.link === previous.link); // joined at all: one that died is replaced
      if (free) await makeRoomInTurn(input, nodes);
      else if (!waited) input.logger.info('waiting for the previous manager to join', { group, link });
      return free;
    });
    if (done) return;
    await clock.sleep(input.pollMs, signal);
  }
}

async function makeRoomInTurn(input: MakeRoomInput, listed: SwarmNode[]): Promise<void> {
  const { gateway, logger, clock, pending, group, member, link, signal } = input;
  let nodes = listed;
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
  pending.last.set(group, { link, until: clock.now() + input.props.joinTimeout });
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
