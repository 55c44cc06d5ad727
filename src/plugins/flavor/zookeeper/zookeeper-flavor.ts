import { type Logger, silentLogger } from '../../../lib/index.js';
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
import { fourLetter, modeOf } from './four-letter.js';
import { zookeeperInitScript } from './init-script.js';
import { parseZookeeperProperties, type ZookeeperMember, zookeeperMember } from './properties.js';

export interface ZookeeperFlavorOptions {
  logger?: Logger;
  /** Bound for each four-letter command. Default 2000 ms. */
  requestTimeoutMs?: number;
}

/** Tags naming the ZooKeeper member an instance runs; never secret. */
export const TAG_ZOOKEEPER_MEMBER = 'zookeeper.member';
export const TAG_ZOOKEEPER_ID = 'zookeeper.id';

/** Modes of a member that serves as part of a quorum. */
const servingModes = ['leader', 'follower'];

/**
 * Members of one ZooKeeper ensemble, one per logical ID, on a static server list: `server.N` per
 * logical ID, with N (the member's `myid`) stable, so a replacement rejoins under the same id.
 * Health is `ruok` → `imok` and `srvr` reporting leader or follower.
 */
export function createZookeeperFlavor(options: ZookeeperFlavorOptions = {}): FlavorPlugin {
  const logger = (options.logger ?? silentLogger).child({ component: 'flavor-zookeeper' });
  const timeoutMs = options.requestTimeoutMs ?? 2000;

  const modeOfMember = async (member: ZookeeperMember, signal?: AbortSignal): Promise<string | undefined> => {
    const target = { host: member.host, port: member.clientPort };
    const call = signal === undefined ? { timeoutMs } : { timeoutMs, signal };
    if ((await fourLetter(target, 'ruok', call)).trim() !== 'imok') return undefined;
    return modeOf(await fourLetter(target, 'srvr', call));
  };

  return {
    async validate(properties, allocation, callOptions: CallOptions = {}) {
      const props = parseZookeeperProperties(properties);
      if (!('logicalIds' in allocation)) {
        throw new TendError(
          'invalid_spec',
          'zookeeper flavor: allocation.size: a ZooKeeper ensemble needs allocation.logicalIds (one per member), not a size',
        );
      }
      if (allocation.logicalIds.length === 0) {
        throw new TendError(
          'invalid_spec',
          'zookeeper flavor: allocation.logicalIds: an ensemble needs at least one member',
        );
      }
      for (const id of allocation.logicalIds) zookeeperMember(props, id);
      // Validate sees only the new allocation; the members serving right now are the "before".
      const everyone = Object.keys(props.members).map((name) => zookeeperMember(props, name));
      const modes = await Promise.all(
        everyone.map((m) => modeOfMember(m, callOptions.signal).catch(() => undefined)),
      );
      const serving = everyone.filter((_, i) => servingModes.includes(modes[i] ?? ''));
      const kept = serving.filter((m) => (allocation.logicalIds as readonly string[]).includes(m.name));
      const needed = Math.floor(serving.length / 2) + 1;
      if (serving.length > 0 && kept.length < needed) {
        throw new TendError(
          'invalid_spec',
          `zookeeper flavor: allocation.logicalIds keeps ${kept.length} of the ${serving.length} serving members ` +
            `(${serving.map((m) => m.name).join(', ')}); the ensemble needs ${needed} of them to keep quorum — ` +
            'remove members one step at a time',
        );
      }
    },

    async prepare(properties, spec, allocation: Allocation, _index: FlavorIndex) {
      const props = parseZookeeperProperties(properties);
      const name = spec.logicalId;
      if (name === undefined) {
        throw new TendError(
          'invalid_spec',
          'zookeeper flavor: prepare: the instance has no logical ID (members need one)',
        );
      }
      const self = zookeeperMember(props, name);
      const names = 'logicalIds' in allocation ? [...allocation.logicalIds] : Object.keys(props.members);
      if (!names.includes(name)) names.push(name);
      const ensemble = names.map((n) => zookeeperMember(props, n));
      return {
        ...spec,
        tags: { ...spec.tags, [TAG_ZOOKEEPER_MEMBER]: name, [TAG_ZOOKEEPER_ID]: String(self.serverId) },
        init: zookeeperInitScript(props, self, ensemble),
        attachments: [...spec.attachments],
      } satisfies InstanceSpec;
    },

    async healthy(properties, instance: InstanceDescription, callOptions: CallOptions = {}): Promise<Health> {
      const props = parseZookeeperProperties(properties);
      const name = instance.logicalId ?? instance.tags[TAG_LOGICAL] ?? instance.tags[TAG_ZOOKEEPER_MEMBER];
      if (name === undefined || props.members[name] === undefined) return 'unknown';
      try {
        const mode = await modeOfMember(zookeeperMember(props, name), callOptions.signal);
        // `standalone` would be a member that lost its ensemble config: not part of the quorum.
        return servingModes.includes(mode ?? '') ? 'healthy' : 'unhealthy';
      } catch (error) {
        logger.debug('member not healthy', { member: name, error: String(error) });
        return 'unhealthy';
      }
    },

    // A static ensemble has no membership to change: the member's id stays in every zoo.cfg and
    // its replacement takes the place back. Nothing to do before destroy.
    async drain() {},
  };
}
