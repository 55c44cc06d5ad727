import { type Clock, type Logger, silentLogger, systemClock } from '../../../lib/index.js';
import {
  type Allocation,
  type CallOptions,
  type FlavorIndex,
  type FlavorPlugin,
  type Health,
  type InstanceDescription,
  type InstanceSpec,
  TAG_LOGICAL,
  TendError,
} from '../../../spi/index.js';
import { createEtcdGateway, type EtcdGateway } from './etcd-gateway.js';
import { type ClusterState, etcdInitScript } from './init-script.js';
import {
  assertRemovalKeepsQuorum,
  findCluster,
  findMember,
  healthyMembers,
  initialClusterOf,
  type LiveCluster,
  names,
  quorum,
} from './membership.js';
import { type EtcdProperties, memberAddress, parseEtcdProperties } from './properties.js';
import { retryWhileUnavailable } from './retry.js';

export interface EtcdFlavorOptions {
  logger?: Logger;
  /** How the flavor talks to etcd; the v3 JSON gateway over HTTP by default. */
  gateway?: EtcdGateway;
  /** Bound for each call to etcd when `gateway` is not given. Default 2000 ms. */
  requestTimeoutMs?: number;
  /**
   * How long `prepare` keeps retrying while etcd refuses a membership change for now (no leader
   * yet, or "not healthy for reconfigure": etcd's strict check wants every voting member connected
   * for 5 s, so it refuses for 5 s after a member (re)connects). Default 12000 ms; 0 never retries.
   */
  reconfigureWaitMs?: number;
  /** Paces those retries; injected in tests. */
  clock?: Clock;
}

/** Tag naming the etcd member an instance runs; never secret. */
export const TAG_ETCD_MEMBER = 'etcd.member';

/**
 * Members of one etcd cluster, one per logical ID. `prepare` decides whether a member founds the
 * cluster (`new`) or replaces one in a running cluster (`member remove` of its old self, `member
 * add`, `existing`); `drain` removes the member; neither ever takes a step that loses quorum.
 */
export function createEtcdFlavor(options: EtcdFlavorOptions = {}): FlavorPlugin {
  const logger = (options.logger ?? silentLogger).child({ component: 'flavor-etcd' });
  const gateway =
    options.gateway ??
    createEtcdGateway(options.requestTimeoutMs === undefined ? {} : { timeoutMs: options.requestTimeoutMs });
  const clock = options.clock ?? systemClock;
  const reconfigureWaitMs = options.reconfigureWaitMs ?? 12_000;

  return {
    async validate(properties, allocation, callOptions = {}) {
      const props = parseEtcdProperties(properties);
      if (!('logicalIds' in allocation)) {
        throw new TendError(
          'invalid_spec',
          `etcd flavor: allocation.size: an etcd ensemble needs allocation.logicalIds (one per member), not a size`,
        );
      }
      if (allocation.logicalIds.length === 0) {
        throw new TendError(
          'invalid_spec',
          'etcd flavor: allocation.logicalIds: an etcd ensemble needs at least one member',
        );
      }
      for (const id of allocation.logicalIds) memberAddress(props, id);
      await assertAllocationKeepsQuorum(gateway, props, allocation.logicalIds, callOptions.signal);
    },

    async prepare(properties, spec, allocation, _index: FlavorIndex, callOptions: CallOptions = {}) {
      const props = parseEtcdProperties(properties);
      const name = spec.logicalId;
      if (name === undefined) {
        throw new TendError(
          'invalid_spec',
          'etcd flavor: prepare: the instance has no logical ID (etcd members need one)',
        );
      }
      const self = memberAddress(props, name);
      const peers = memberNames(props, allocation).filter((n) => n !== name);
      // Refusals for now are waited out here rather than failed back to the controller: each
      // failed prepare counts as a failed replacement there, and five in a row open its breaker.
      const joined = await retryWhileUnavailable(
        () => joinRunningCluster(gateway, logger, props, name, peers, callOptions.signal),
        { clock, waitMs: reconfigureWaitMs, logger, member: name, signal: callOptions.signal },
      );
      const state: ClusterState = joined === undefined ? 'new' : 'existing';
      const initialCluster =
        joined ??
        [name, ...peers]
          .sort()
          .map((n) => `${n}=${memberAddress(props, n).peerUrl}`)
          .join(',');
      return {
        ...spec,
        tags: { ...spec.tags, [TAG_ETCD_MEMBER]: name },
        init: etcdInitScript(props, self, initialCluster, state),
        attachments: [...spec.attachments],
      } satisfies InstanceSpec;
    },

    async healthy(properties, instance, callOptions = {}): Promise<Health> {
      const props = parseEtcdProperties(properties);
      const name = logicalIdOf(instance);
      if (name === undefined || props.members[name] === undefined) return 'unknown';
      const self = memberAddress(props, name);
      try {
        if (!(await gateway.health(self.clientUrl, callOptions.signal))) return 'unhealthy';
        const members = await gateway.memberList(self.clientUrl, callOptions.signal);
        const listed = members.some((m) => m.name === name && m.clientUrls.includes(self.clientUrl));
        return listed ? 'healthy' : 'unhealthy';
      } catch (error) {
        logger.debug('member not healthy', { member: name, error: String(error) });
        return 'unhealthy';
      }
    },

    async drain(properties, instance: InstanceDescription, callOptions = {}) {
      const props = parseEtcdProperties(properties);
      const name = logicalIdOf(instance);
      if (name === undefined || props.members[name] === undefined) return;
      // An election (say the leader was the member that died) is waited out, as in prepare.
      await retryWhileUnavailable(() => removeMember(gateway, logger, props, name, callOptions.signal), {
        clock,
        waitMs: reconfigureWaitMs,
        logger,
        member: name,
        signal: callOptions.signal,
      });
    },
  };
}

/** `member remove` of `name` for drain; nothing to do when it is not (or no longer) a member. */
async function removeMember(
  gateway: EtcdGateway,
  logger: Logger,
  props: EtcdProperties,
  name: string,
  signal?: AbortSignal,
): Promise<void> {
  const self = memberAddress(props, name);
  const everyone = Object.keys(props.members).map((n) => memberAddress(props, n).clientUrl);
  const cluster = await findCluster(gateway, everyone, signal);
  const target = cluster === undefined ? undefined : findMember(cluster.members, name, self.peerUrl);
  if (cluster === undefined || target === undefined) return;
  // The last member cannot leave its own cluster; destroying it ends the cluster anyway.
  if (cluster.members.length === 1) return;
  await assertElected(gateway, cluster, signal);
  await assertRemovalKeepsQuorum(gateway, cluster, target, signal);
  // Ask another member: one that removes itself may stop before it answers.
  const endpoint = cluster.members.find((m) => m.id !== target.id)?.clientUrls[0] ?? cluster.endpoint;
  await gateway.memberRemove(endpoint, target.id, signal);
  logger.info('member removed', { member: name, memberId: target.id, reason: 'drain' });
}

/**
 * Makes `name` a member-to-be of the running cluster, if there is one: `member remove` of its old
 * self (only when that keeps quorum), `member add` of the new one. Resolves to the
 * `--initial-cluster` the new member starts with, or undefined when there is no running cluster
 * (first apply, or quorum lost) and the member founds one with the others.
 */
async function joinRunningCluster(
  gateway: EtcdGateway,
  logger: Logger,
  props: EtcdProperties,
  name: string,
  peers: readonly string[],
  signal?: AbortSignal,
): Promise<string | undefined> {
  const self = memberAddress(props, name);
  const cluster = await findRunningCluster(
    gateway,
    peers.map((n) => memberAddress(props, n).clientUrl),
    signal,
  );
  if (cluster === undefined) return undefined;
  let members = cluster.members;
  const old = findMember(members, name, self.peerUrl);
  const pending = members.filter((m) => m.name === '' && !m.peerUrls.includes(self.peerUrl));
  if (pending.length > 0) {
    throw new TendError(
      'conflict',
      `etcd flavor: prepare ${name}: member ${names(pending)} was added but has not started yet; ` +
        'members are replaced one at a time',
    );
  }
  if (old !== undefined && old.name !== '') {
    await assertRemovalKeepsQuorum(gateway, cluster, old, signal);
    await gateway.memberRemove(cluster.endpoint, old.id, signal);
    logger.info('member removed', { member: name, memberId: old.id, reason: 'replaced' });
    members = members.filter((m) => m.id !== old.id);
  }
  // An unstarted member at our peer URL is our own earlier add (its answer was lost): reuse it.
  if (old === undefined || old.name !== '') {
    members = await gateway.memberAdd(cluster.endpoint, self.peerUrl, signal);
    logger.info('member added', { member: name, peerUrl: self.peerUrl });
  }
  return initialClusterOf(members, self);
}

/**
 * Refuses an allocation that keeps fewer than a quorum of the running cluster's members: the
 * controller would remove the rest one by one, and the cluster would stop between two steps.
 * Validate sees only the new allocation, so the running cluster's member list is the "before".
 * No reachable cluster (first apply) means nothing to lose.
 */
async function assertAllocationKeepsQuorum(
  gateway: EtcdGateway,
  props: EtcdProperties,
  logicalIds: readonly string[],
  signal?: AbortSignal,
): Promise<void> {
  const urls = Object.keys(props.members).map((n) => memberAddress(props, n).clientUrl);
  const cluster = await findCluster(gateway, urls, signal);
  if (cluster === undefined) return;
  const current = cluster.members.filter((m) => m.name !== '');
  const kept = current.filter((m) => logicalIds.includes(m.name));
  const needed = quorum(current.length);
  if (kept.length < needed) {
    throw new TendError(
      'invalid_spec',
      `etcd flavor: allocation.logicalIds keeps ${kept.length} of the ${current.length} running members ` +
        `(${names(current)}); the cluster needs ${needed} of them to keep quorum — remove members one step at a time`,
    );
  }
}

/**
 * A cluster this member should join, rather than found: one that answers and has a leader.
 * - Nobody answers: no cluster yet (members still bootstrapping do not answer either) — found it.
 * - Members answer but none has a leader, and enough of them answer to elect one: an election is
 *   under way (say the leader just died) — `unavailable`, the controller retries.
 * - Too few answer for a leader: quorum is lost and can only come back by restarting members on
 *   their own data dirs — found (`new` flags are ignored by etcd when the data dir holds data).
 */
async function findRunningCluster(
  gateway: EtcdGateway,
  clientUrls: readonly string[],
  signal?: AbortSignal,
): Promise<LiveCluster | undefined> {
  const cluster = await findCluster(gateway, clientUrls, signal);
  if (cluster === undefined) return undefined;
  return (await assertElected(gateway, cluster, signal)) ? cluster : undefined;
}

/**
 * True when some member has a leader; `unavailable` when none has but enough answer to elect one
 * (an election is under way); false when too few answer for a leader (quorum lost).
 */
async function assertElected(
  gateway: EtcdGateway,
  cluster: LiveCluster,
  signal?: AbortSignal,
): Promise<boolean> {
  const healthy = await healthyMembers(gateway, cluster.members, signal);
  if (healthy.length > 0) return true;
  if (cluster.answering >= quorum(cluster.members.length)) {
    throw new TendError(
      'unavailable',
      `etcd flavor: ${cluster.answering} of ${cluster.members.length} members answer but none has a leader yet; try again`,
    );
  }
  return false;
}

function memberNames(props: EtcdProperties, allocation: Allocation): string[] {
  return 'logicalIds' in allocation ? [...allocation.logicalIds] : Object.keys(props.members);
}

function logicalIdOf(instance: InstanceDescription): string | undefined {
  return instance.logicalId ?? instance.tags[TAG_LOGICAL] ?? instance.tags[TAG_ETCD_MEMBER];
}
