import { type Clock, type Logger, silentLogger, systemClock } from '../../../lib/index.js';
import {
  type Allocation,
  type CallOptions,
  type FlavorIndex,
  type FlavorPlugin,
  type Health,
  type InstanceDescription,
  type InstanceSpec,
  TAG_OP,
  TendError,
} from '../../../spi/index.js';
import { joinScript } from './join-script.js';
import {
  assertAllocationKeepsQuorum,
  assertDemotionKeepsQuorum,
  makeRoomForManager,
  type PendingJoins,
  pendingJoins,
} from './manager-quorum.js';
import { deadNodes, joinAddresses, makeLink, nodeHealth, nodeOf, parseLink } from './membership.js';
import { parseSwarmProperties, type SwarmProperties } from './properties.js';
import { createDockerSwarmGateway, type SwarmGateway, type SwarmNode } from './swarm-gateway.js';

export interface SwarmFlavorOptions {
  logger?: Logger;
  clock?: Clock;
  /**
   * How the flavor reaches the swarm; by default dockerode against `properties.managers`. Tests
   * inject a fake.
   */
  gateway?: (props: SwarmProperties) => SwarmGateway;
  /** Between two looks at a draining node's tasks. Default 500 ms. */
  pollMs?: number;
}

/** Tag naming the instance's link (its engine's `tend.swarm.link` label); never secret. */
export const TAG_SWARM_LINK = 'swarm.link';

/**
 * Nodes of a Docker swarm: workers (a size group) or managers (a logical-ID group). Prepare fetches
 * the current join token (never kept, logged or tagged) and adds the join to the Init; health is
 * the node's state and availability in the swarm; drain sets the node to `drain`, waits (bounded)
 * for its tasks to move and demotes a manager; dead nodes of the group are removed once down.
 * Manager changes never take a step that loses Raft quorum, and go one at a time.
 */
export function createSwarmFlavor(options: SwarmFlavorOptions = {}): FlavorPlugin {
  const logger = (options.logger ?? silentLogger).child({ component: 'flavor-swarm' });
  const clock = options.clock ?? systemClock;
  const pollMs = options.pollMs ?? 500;
  const gateways = new Map<string, SwarmGateway>();
  const pending: PendingJoins = pendingJoins();
  const gatewayFor = (props: SwarmProperties): SwarmGateway => {
    const key = props.managers.join(' ');
    let gateway = gateways.get(key);
    if (gateway === undefined) {
      gateway = (options.gateway ?? ((p) => createDockerSwarmGateway({ endpoints: p.managers })))(props);
      gateways.set(key, gateway);
    }
    return gateway;
  };

  /** Demotes (managers) and removes the group's dead nodes; failures wait for the next call. */
  const removeDead = async (
    gateway: SwarmGateway,
    props: SwarmProperties,
    nodes: SwarmNode[],
    group: string,
  ) => {
    for (const node of deadNodes(nodes, group, clock.now(), props.removeDownAfter)) {
      try {
        if (node.role === 'manager') await gateway.updateNode(node, { role: 'worker' });
        await gateway.removeNode(node.id);
        logger.info('dead node removed', { group, node: node.id, hostname: node.hostname });
      } catch (error) {
        logger.warn('dead node not removed yet', { group, node: node.id, error: String(error) });
      }
    }
  };

  return {
    async validate(properties, allocation, callOptions = {}) {
      const props = parseSwarmProperties(properties);
      if (props.role !== 'manager') return;
      if (!('logicalIds' in allocation) || allocation.logicalIds.length === 0) {
        throw new TendError(
          'invalid_spec',
          'swarm flavor: allocation: managers need allocation.logicalIds (one per manager), not a size',
        );
      }
      await assertAllocationKeepsQuorum(gatewayFor(props), allocation.logicalIds, callOptions.signal);
    },

    async prepare(
      properties,
      spec,
      _allocation: Allocation,
      index: FlavorIndex,
      callOptions: CallOptions = {},
    ) {
      const props = parseSwarmProperties(properties);
      const member = props.role === 'manager' ? spec.logicalId : undefined;
      if (props.role === 'manager' && member === undefined) {
        throw new TendError('invalid_spec', 'swarm flavor: prepare: a manager needs a logical ID');
      }
      const link = makeLink(index.group, member, spec.tags[TAG_OP] ?? `${index.group}:${index.sequence}`);
      const gateway = gatewayFor(props);
      const { signal } = callOptions;
      let nodes = await gateway.nodes(signal);
      await removeDead(gateway, props, nodes, index.group);
      if (member !== undefined) {
        await makeRoomForManager({
          gateway,
          logger,
          clock,
          pending,
          props,
          group: index.group,
          member,
          link,
          pollMs,
          signal,
        });
        nodes = await gateway.nodes(signal);
      }
      const addresses = joinAddresses(nodes);
      if (addresses.length === 0) {
        throw new TendError('unavailable', 'swarm flavor: prepare: no reachable manager to join through');
      }
      const token = await gateway.joinToken(props.role, signal);
      return {
        ...spec,
        tags: { ...spec.tags, [TAG_SWARM_LINK]: link },
        init: joinScript({
          before: spec.init,
          link,
          token,
          addresses,
          docker: props.docker,
          engineWaitSeconds: Math.max(1, Math.ceil(props.engineWait / 1000)),
        }),
        attachments: [...spec.attachments],
      } satisfies InstanceSpec;
    },

    async healthy(properties, instance, callOptions = {}): Promise<Health> {
      const props = parseSwarmProperties(properties);
      const link = instance.tags[TAG_SWARM_LINK];
      const group = parseLink(link)?.group;
      if (link === undefined || group === undefined) return 'unknown';
      const gateway = gatewayFor(props);
      let nodes: SwarmNode[];
      try {
        nodes = await gateway.nodes(callOptions.signal);
      } catch (error) {
        logger.debug('node health unknown', { link, error: String(error) });
        return 'unknown';
      }
      await removeDead(gateway, props, nodes, group);
      return nodeHealth(nodeOf(nodes, link));
    },

    async drain(properties, instance: InstanceDescription, callOptions = {}) {
      const props = parseSwarmProperties(properties);
      const link = instance.tags[TAG_SWARM_LINK];
      if (link === undefined) return;
      const gateway = gatewayFor(props);
      const { signal } = callOptions;
      const node = nodeOf(await gateway.nodes(signal), link);
      if (node === undefined) return;
      if (node.state === 'down') {
        // Dead already: nothing runs there to move; out of the swarm now (demoted first).
        if (node.role === 'manager') await gateway.updateNode(node, { role: 'worker' }, signal);
        await gateway.removeNode(node.id, signal);
        logger.info('dead node removed', { node: node.id, hostname: node.hostname, reason: 'drain' });
        return;
      }
      if (node.availability !== 'drain') await gateway.updateNode(node, { availability: 'drain' }, signal);
      await waitForTasksToMove(gateway, node, {
        clock,
        pollMs,
        timeoutMs: props.drainTimeout,
        logger,
        signal,
      });
      if (node.role === 'manager') {
        const fresh = nodeOf(await gateway.nodes(signal), link);
        if (fresh !== undefined && fresh.role === 'manager') {
          assertDemotionKeepsQuorum(await gateway.nodes(signal), fresh);
          await gateway.updateNode(fresh, { role: 'worker' }, signal);
          logger.info('manager demoted', { node: fresh.id, hostname: fresh.hostname, reason: 'drain' });
        }
      }
      logger.info('node drained', { node: node.id, hostname: node.hostname });
    },
  };
}

async function waitForTasksToMove(
  gateway: SwarmGateway,
  node: SwarmNode,
  o: { clock: Clock; pollMs: number; timeoutMs: number; logger: Logger; signal?: AbortSignal | undefined },
): Promise<void> {
  const deadline = o.clock.now() + o.timeoutMs;
  for (;;) {
    const left = await gateway.runningTasks(node.id, o.signal);
    if (left === 0) return;
    if (o.clock.now() >= deadline) {
      // The destroy goes ahead: the swarm reschedules what is left once the node is gone.
      o.logger.warn('drain timed out with tasks left', { node: node.id, tasks: left });
      return;
    }
    await o.clock.sleep(Math.min(o.pollMs, deadline - o.clock.now()), o.signal);
  }
}
