// An in-memory swarm behind the swarm flavor's gateway: nodes with versions (an update naming an
// old version is refused, as SwarmKit does), tasks per node, and a fixed join token.
import type { SwarmGateway, SwarmNode } from '../../src/plugins/flavor/swarm/index.js';
import { TendError } from '../../src/spi/index.js';

export const FAKE_WORKER_TOKEN = 'SWMTKN-1-0fakeclusterdigest0-worker0secret';
export const FAKE_MANAGER_TOKEN = 'SWMTKN-1-0fakeclusterdigest0-manager0secret';

export interface FakeSwarm {
  gateway: SwarmGateway;
  nodes: Map<string, SwarmNode>;
  tasks: Map<string, number>;
  removed: string[];
  /** Calls fail `unavailable` while true (no manager answers). */
  down: boolean;
  add(node: Partial<SwarmNode> & { id: string }): SwarmNode;
}

/** Starts with `managers` ready, reachable managers m1…mN at 10.0.0.N:2377 (m1 leads). */
export function fakeSwarm(managers = 3): FakeSwarm {
  const nodes = new Map<string, SwarmNode>();
  const tasks = new Map<string, number>();
  const removed: string[] = [];
  const swarm: FakeSwarm = {
    nodes,
    tasks,
    removed,
    down: false,
    add(partial) {
      const node: SwarmNode = {
        version: 1,
        role: 'worker',
        availability: 'active',
        state: 'ready',
        hostname: partial.id,
        link: undefined,
        updatedAt: 0,
        ...partial,
      };
      nodes.set(node.id, node);
      return node;
    },
    gateway: {
      async joinToken(role) {
        check();
        return role === 'manager' ? FAKE_MANAGER_TOKEN : FAKE_WORKER_TOKEN;
      },
      async nodes() {
        check();
        return [...nodes.values()].map((n) => ({ ...n }));
      },
      async updateNode(node, change) {
        check();
        const current = nodes.get(node.id);
        if (current === undefined) throw new TendError('not_found', `no node ${node.id}`);
        if (current.version !== node.version) throw new TendError('conflict', 'update out of sequence');
        const next: SwarmNode = { ...current, version: current.version + 1 };
        if (change.availability !== undefined) next.availability = change.availability;
        if (change.role === 'worker' && current.role === 'manager') {
          next.role = 'worker';
          delete next.manager;
        }
        nodes.set(node.id, next);
      },
      async removeNode(id) {
        check();
        const node = nodes.get(id);
        if (node === undefined) return;
        if (node.role === 'manager' || node.state !== 'down') {
          throw new TendError('conflict', `node ${id} is ${node.role === 'manager' ? 'a manager' : 'up'}`);
        }
        nodes.delete(id);
        removed.push(id);
      },
      async runningTasks(id) {
        check();
        return tasks.get(id) ?? 0;
      },
    },
  };
  function check(): void {
    if (swarm.down) throw new TendError('unavailable', 'no manager answers');
  }
  for (let i = 1; i <= managers; i++) {
    swarm.add({
      id: `m${i}`,
      role: 'manager',
      manager: { reachability: 'reachable', leader: i === 1, addr: `10.0.0.${i}:2377` },
    });
  }
  return swarm;
}
