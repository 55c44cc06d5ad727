import Docker from 'dockerode';
import { abortable, engineError, statusCode } from '../../../lib/index.js';
import { TendError } from '../../../spi/index.js';

/** Engine label an instance's dockerd carries so the flavor can tell which node it is. */
export const LINK_LABEL = 'tend.swarm.link';

export type NodeRole = 'worker' | 'manager';
export type NodeAvailability = 'active' | 'pause' | 'drain';

/** One swarm node, as much of it as the flavor reads. */
export interface SwarmNode {
  id: string;
  /** `Version.Index`: an update names it, and the swarm refuses it if the node changed since. */
  version: number;
  role: NodeRole;
  availability: NodeAvailability;
  /** `ready`, `down`, `disconnected` or `unknown`. */
  state: string;
  hostname: string;
  /** The `tend.swarm.link` engine label, when the engine carries one. */
  link: string | undefined;
  /** Only for managers: Raft reachability (`reachable`, `unreachable`, `unknown`) and address. */
  manager?: { reachability: string; leader: boolean; addr: string };
  /** ms since the epoch of the node object's last change (a state change is one). */
  updatedAt: number;
}

/** The few swarm calls the flavor needs; a fake stands in for it in unit tests. */
export interface SwarmGateway {
  /** The current join token for `role`. A secret: never log or store it. */
  joinToken(role: NodeRole, signal?: AbortSignal): Promise<string>;
  nodes(signal?: AbortSignal): Promise<SwarmNode[]>;
  /**
   * Changes role and/or availability of the node as read (`node.version`); `conflict` when the
   * node changed since, or when the swarm refuses (a demotion that would lose quorum).
   */
  updateNode(
    node: SwarmNode,
    change: { role?: NodeRole; availability?: NodeAvailability },
    signal?: AbortSignal,
  ): Promise<void>;
  /** Removes a node that is down (or a worker); a node already gone is no error. */
  removeNode(id: string, signal?: AbortSignal): Promise<void>;
  /** Tasks the swarm still wants running on the node (not yet moved away). */
  runningTasks(id: string, signal?: AbortSignal): Promise<number>;
}

interface RawNode {
  ID: string;
  Version?: { Index?: number };
  UpdatedAt?: string;
  Spec?: Record<string, unknown> & { Role?: string; Availability?: string };
  Description?: { Hostname?: string; Engine?: { Labels?: Record<string, string> } };
  Status?: { State?: string };
  ManagerStatus?: { Reachability?: string; Leader?: boolean; Addr?: string };
}

/**
 * The gateway over dockerode: each call goes to the first of `endpoints` that answers (any
 * manager serves, forwarding writes to the Raft leader), starting from the one that last did.
 */
export function createDockerSwarmGateway(options: {
  endpoints: readonly string[];
  timeoutMs?: number;
}): SwarmGateway {
  const timeoutMs = options.timeoutMs ?? 5000;
  const engines = options.endpoints.map((endpoint) => ({ endpoint, docker: dockerFor(endpoint, timeoutMs) }));
  let preferred = 0;
  const specs = new Map<string, Record<string, unknown>>();

  async function call<T>(what: string, signal: AbortSignal | undefined, run: (d: Docker) => Promise<T>) {
    let last: TendError | undefined;
    for (let i = 0; i < engines.length; i++) {
      const index = (preferred + i) % engines.length;
      const engine = engines[index];
      if (engine === undefined) continue;
      try {
        const result = await (signal === undefined
          ? run(engine.docker)
          : abortable(run(engine.docker), signal));
        preferred = index;
        return result;
      } catch (error) {
        const failure = engineError(error, {
          what: `swarm flavor: ${what}`,
          socketPath: engine.endpoint,
          callerSignal: signal,
          timeoutMs,
        });
        // Unreachable, or not a manager with quorum right now (503): the next one may answer.
        if (failure.kind !== 'unavailable') throw failure;
        last = failure;
      }
    }
    throw last ?? new TendError('unavailable', 'swarm flavor: no manager engine configured');
  }

  return {
    async joinToken(role, signal) {
      const swarm = (await call('inspect swarm', signal, (d) => d.swarmInspect())) as {
        JoinTokens?: { Worker?: string; Manager?: string };
      };
      const token = role === 'manager' ? swarm.JoinTokens?.Manager : swarm.JoinTokens?.Worker;
      if (token === undefined || token === '') {
        throw new TendError('unavailable', `swarm flavor: the swarm gave no ${role} join token`);
      }
      return token;
    },
    async nodes(signal) {
      const raw = (await call('list nodes', signal, (d) => d.listNodes())) as RawNode[];
      for (const node of raw) if (node.Spec !== undefined) specs.set(node.ID, node.Spec);
      return raw.map(toNode);
    },
    async updateNode(node, change, signal) {
      const spec = { ...(specs.get(node.id) ?? {}) };
      if (change.role !== undefined) spec.Role = change.role;
      if (change.availability !== undefined) spec.Availability = change.availability;
      try {
        await call(`update node ${node.id}`, signal, (d) =>
          d.getNode(node.id).update({ _query: { version: node.version }, _body: spec } as unknown as object),
        );
      } catch (error) {
        // 400 from a node update is the swarm refusing it (out of sequence, or quorum).
        if (TendError.is(error, 'invalid_spec')) {
          throw new TendError('conflict', error.message, { cause: error, details: error.details });
        }
        throw error;
      }
    },
    async removeNode(id, signal) {
      try {
        await call(`remove node ${id}`, signal, (d) => d.getNode(id).remove({ force: false }));
      } catch (error) {
        if (TendError.is(error, 'not_found') || statusCode(error) === 404) return;
        throw error;
      }
    },
    async runningTasks(id, signal) {
      const tasks = (await call(`list tasks of node ${id}`, signal, (d) =>
        d.listTasks({ filters: JSON.stringify({ node: [id], 'desired-state': ['running'] }) }),
      )) as Array<{ Status?: { State?: string } }>;
      return tasks.length;
    },
  };
}

function dockerFor(endpoint: string, timeout: number): Docker {
  if (endpoint.startsWith('unix://'))
    return new Docker({ socketPath: endpoint.slice('unix://'.length), timeout });
  const url = new URL(endpoint.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port), protocol: 'http', timeout });
}

function toNode(raw: RawNode): SwarmNode {
  const node: SwarmNode = {
    id: raw.ID,
    version: raw.Version?.Index ?? 0,
    role: raw.Spec?.Role === 'manager' ? 'manager' : 'worker',
    availability:
      raw.Spec?.Availability === 'drain' ? 'drain' : raw.Spec?.Availability === 'pause' ? 'pause' : 'active',
    state: raw.Status?.State ?? 'unknown',
    hostname: raw.Description?.Hostname ?? '',
    link: raw.Description?.Engine?.Labels?.[LINK_LABEL],
    updatedAt: Date.parse(raw.UpdatedAt ?? '') || 0,
  };
  if (raw.ManagerStatus !== undefined) {
    node.manager = {
      reachability: raw.ManagerStatus.Reachability ?? 'unknown',
      leader: raw.ManagerStatus.Leader === true,
      addr: raw.ManagerStatus.Addr ?? '',
    };
  }
  return node;
}
