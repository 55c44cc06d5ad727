import type { AuditEntry } from '../auth/index.js';
import { fromInfraKitGroup, specToDocument, toInfraKitGroup } from '../group/index.js';
import type { Logger } from '../lib/index.js';
import { servePlugin } from '../rpc/index.js';
import type { GroupId, GroupPlugin, GroupSpec, InstanceId, JsonValue } from '../spi/index.js';
import { TendError } from '../spi/index.js';
import type { ApplyView, CommitMeta, GroupDetail, LeaderView, OkView } from './api-types.js';
import { groupSocketMetadata } from './group-socket-metadata.js';
import { groupSocketUpdatable } from './group-socket-updatable.js';
import { specFromRevision } from './spec-codec.js';

/**
 * What the Group socket needs of its manager: the operations the HTTP routes call, nothing else.
 * Writes run on this manager; a standby refuses them with `not_leader` naming the leader (its
 * own admin token would not be accepted by the leader, so forwarding could not work anyway).
 */
export interface GroupSocketManager {
  readonly name: string;
  isLeader(): boolean;
  leaderView(): Promise<LeaderView>;
  /** The declared specs of every live group, sorted by ID. */
  specs(): Promise<GroupSpec[]>;
  group(id: GroupId): Promise<GroupDetail>;
  apply(document: string, meta: CommitMeta & { dryRun?: boolean | undefined }): Promise<ApplyView>;
  scale(id: GroupId, size: number, meta: CommitMeta): Promise<OkView>;
  freeGroup(id: GroupId, meta: CommitMeta): Promise<OkView>;
  destroyGroup(id: GroupId, meta: CommitMeta): Promise<OkView>;
  destroyInstances(id: GroupId, instances: readonly InstanceId[], meta: CommitMeta): Promise<OkView>;
}

export interface GroupSocketOptions {
  dir: string;
  name: string;
  manager: GroupSocketManager;
  /** Socket writes are audited like API writes, as `group-socket` (the socket is mode 0600). */
  audit: (entry: AuditEntry) => Promise<void>;
  logger: Logger;
}

/**
 * Serves what InfraKit v0.5's manager served on its socket — `Group/0.1.0`, `Manager/0.1.0`,
 * `Metadata/0.1.0` and `Updatable/0.1.0` — plus InfraKit HEAD's `Group/0.1.1`, on a unix socket;
 * returns the function that closes it.
 */
export async function serveGroupSocket(options: GroupSocketOptions): Promise<() => Promise<void>> {
  const logger = options.logger.child({ component: 'group-socket' });
  const group = groupPluginOf(options.manager, auditedBy(options.audit, logger));
  const metadata = groupSocketMetadata(options.manager, options.name);
  const server = await servePlugin({
    dir: options.dir,
    name: options.name,
    group,
    manager: { isLeader: async () => options.manager.isLeader() },
    metadata,
    updatable: groupSocketUpdatable(options.manager, options.name, metadata, group),
    logger,
  });
  return () => server.close({ signal: AbortSignal.timeout(5000) });
}

type Audited = <T>(what: string, group: GroupId | undefined, write: () => Promise<T>) => Promise<T>;

function auditedBy(append: (entry: AuditEntry) => Promise<void>, logger: Logger): Audited {
  return async (what, group, write) => {
    const entry = (kind: string | undefined): AuditEntry => ({
      at: new Date().toISOString(),
      who: 'group-socket',
      role: 'admin',
      what,
      ...(group === undefined ? {} : { group }),
      result: kind === undefined ? 'ok' : 'error',
      ...(kind === undefined ? {} : { kind }),
    });
    const record = (kind: string | undefined) =>
      append(entry(kind)).catch((error: unknown) => {
        logger.error('audit append failed', { what, error: String(error) });
      });
    try {
      const result = await write();
      await record(undefined);
      return result;
    } catch (error) {
      await record(error instanceof TendError ? error.kind : 'internal');
      throw error;
    }
  };
}

/** InfraKit's Group service in terms of the manager's own operations, called in-process. */
export function groupPluginOf(manager: GroupSocketManager, audited: Audited): GroupPlugin {
  // A spec is never changed in place (a commit makes a new one), so its InfraKit form is made once.
  const infraKitForms = new WeakMap<GroupSpec, JsonValue>();
  const infraKitProperties = (spec: GroupSpec): JsonValue => {
    let properties = infraKitForms.get(spec);
    if (properties === undefined) {
      properties = toInfraKitGroup(spec).Properties;
      infraKitForms.set(spec, properties);
    }
    return properties;
  };
  return {
    commitGroup: (spec, pretend) => {
      const parsed = fromInfraKitGroup(
        { ID: spec.id, Properties: spec.properties },
        { source: 'CommitGroup' },
      );
      const document = JSON.stringify({ groups: [specToDocument(parsed)] });
      const apply = async () =>
        commitDetails(await manager.apply(document, { dryRun: pretend, reason: 'Group.CommitGroup' }));
      return pretend ? apply() : audited('Group.CommitGroup', parsed.id, apply);
    },
    freeGroup: async (id) => {
      await audited('Group.FreeGroup', id, () => manager.freeGroup(id, { reason: 'Group.FreeGroup' }));
    },
    destroyGroup: async (id) => {
      await audited('Group.DestroyGroup', id, () =>
        manager.destroyGroup(id, { reason: 'Group.DestroyGroup' }),
      );
    },
    describeGroup: async (id) => {
      const status = (await manager.group(id)).status;
      if (status === null) throw new TendError('unavailable', `no leader is running group ${id}`);
      return { instances: [...status.instances], converged: status.phase === 'converged' };
    },
    inspectGroups: async () =>
      (await manager.specs()).map((spec) => ({ id: spec.id, properties: infraKitProperties(spec) })),
    destroyInstances: async (id, instances) => {
      const reason = 'Group.DestroyInstances';
      await audited(reason, id, () => manager.destroyInstances(id, instances, { reason }));
    },
    size: async (id) => {
      const spec = specFromRevision((await manager.group(id)).revision);
      return 'size' in spec.allocation ? spec.allocation.size : spec.allocation.logicalIds.length;
    },
    setSize: async (id, size) => {
      await audited('Group.SetSize', id, () => manager.scale(id, size, { reason: 'Group.SetSize' }));
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
