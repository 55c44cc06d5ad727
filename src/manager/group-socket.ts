import { fromInfraKitGroup, specToDocument, toInfraKitGroup } from '../group/index.js';
import type { Logger } from '../lib/index.js';
import { servePlugin } from '../rpc/index.js';
import { type GroupId, type GroupPlugin, type InstanceId, TendError } from '../spi/index.js';
import type { ApplyView } from './api-types.js';
import { ManagerClient } from './client.js';
import { specFromRevision } from './spec-codec.js';

export interface GroupSocketOptions {
  dir: string;
  name: string;
  /** The manager's own API: requests go through it, so a standby forwards to the leader. */
  managerUrl: string;
  /** The manager's own process-lifetime token (the socket is mode 0600: local owner only). */
  token: string;
  logger: Logger;
}

/** Serves InfraKit's `Group.*` on a unix socket; returns the function that closes it. */
export async function serveGroupSocket(options: GroupSocketOptions): Promise<() => Promise<void>> {
  const server = await servePlugin({
    dir: options.dir,
    name: options.name,
    group: groupPluginOverApi(new ManagerClient({ url: options.managerUrl, token: options.token })),
    logger: options.logger.child({ component: 'group-socket' }),
  });
  return () => server.close({ signal: AbortSignal.timeout(5000) });
}

/**
 * InfraKit's Group service in terms of the manager's HTTP API. Going through the API (rather than
 * the manager object) gives the socket the same leader forwarding and validation as the CLI.
 */
export function groupPluginOverApi(client: ManagerClient): GroupPlugin {
  return {
    commitGroup: async (spec, pretend) => {
      const parsed = fromInfraKitGroup(
        { ID: spec.id, Properties: spec.properties },
        { source: 'CommitGroup' },
      );
      const document = JSON.stringify({ groups: [specToDocument(parsed)] });
      return commitDetails(await client.apply(document, { dryRun: pretend, reason: 'Group.CommitGroup' }));
    },
    freeGroup: async (id) => {
      await client.free(id, { reason: 'Group.FreeGroup' });
    },
    destroyGroup: async (id) => {
      await client.destroy(id, { reason: 'Group.DestroyGroup' });
    },
    describeGroup: async (id) => {
      const view = await client.group(id);
      const status = view.status;
      if (status === null) throw new TendError('unavailable', `no leader is running group ${id}`);
      return { instances: [...status.instances], converged: status.phase === 'converged' };
    },
    inspectGroups: async () => {
      const status = await client.status();
      const groups = await Promise.all(status.groups.map((group) => client.group(group.id)));
      return groups.map((view) => {
        const infrakit = toInfraKitGroup(specFromRevision(view.revision));
        return { id: view.revision.groupId, properties: infrakit.Properties };
      });
    },
    destroyInstances: async (id: GroupId, instances: readonly InstanceId[]) => {
      await client.destroyInstances(id, instances);
    },
    size: async (id) => {
      const view = await client.group(id);
      const spec = specFromRevision(view.revision);
      return 'size' in spec.allocation ? spec.allocation.size : spec.allocation.logicalIds.length;
    },
    setSize: async (id, size) => {
      await client.scale(id, size, { reason: 'Group.SetSize' });
    },
  };
}

function commitDetails(view: ApplyView): string {
  const parts = view.groups.map((group) => {
    if (!view.dryRun)
      return `${group.id}: ${group.change} (revision ${group.revision}, config ${group.config})`;
    const plan = view.plan?.find((p) => p.id === group.id);
    if (plan === undefined) return `${group.id}: would be ${group.change}`;
    const rollout = plan.rollout === undefined ? '' : `, rolling ${plan.rollout.instances} instance(s)`;
    return `${group.id}: would ${plan.change} (${plan.creates} to create, ${plan.destroys} to destroy${rollout})`;
  });
  return parts.join('; ');
}
