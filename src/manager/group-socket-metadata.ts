import { toInfraKitGroup } from '../group/index.js';
import { groupDescriptionToWire, type MetadataNode, metadataFromTree } from '../rpc/index.js';
import {
  type GroupId,
  type GroupSpec,
  groupId,
  type JsonObject,
  type JsonValue,
  type MetadataPlugin,
  TendError,
} from '../spi/index.js';
import type { GroupDetail } from './api-types.js';

/** What the metadata reads of the manager (a part of the group socket's `GroupSocketManager`). */
export interface MetadataSourceManager {
  isLeader(): boolean;
  specs(): Promise<GroupSpec[]>;
  group(id: GroupId): Promise<GroupDetail>;
}

/**
 * The `group` socket's `Metadata/0.1.0` tree: what InfraKit's manager (`leader`, `configs`) and
 * its group plugin (`specs/<ID>`, `groups/<ID>`) served, read when asked rather than polled.
 * `groups/<ID>` is the group's `Description` plus Tend's counts (`Desired`, `Observed`,
 * `Healthy`), and only on the leader: a standby runs no group, so it has nothing to describe.
 */
export function groupSocketMetadata(manager: MetadataSourceManager, socketName: string): MetadataPlugin {
  const specs = async (): Promise<Map<string, JsonValue>> =>
    new Map((await manager.specs()).map((spec): [string, JsonValue] => [spec.id, toInfraKitGroup(spec)]));
  return metadataFromTree({
    children: async () => ({
      leader: { value: async () => manager.isLeader() },
      configs: { value: () => configDocument(manager, socketName) },
      specs: {
        children: async () => {
          const out: Record<string, MetadataNode> = {};
          for (const [id, spec] of await specs()) out[id] = { value: async () => spec };
          return out;
        },
      },
      groups: {
        children: async () => {
          if (!manager.isLeader()) return {};
          const out: Record<string, MetadataNode> = {};
          for (const id of (await specs()).keys()) out[id] = { value: () => description(manager, id) };
          return out;
        },
      },
    }),
  });
}

/**
 * InfraKit's manager snapshot, `{"Groups": {<ID>: {"Plugin": <socket>, "Properties": <group>}}}`:
 * the `configs` node here, and the document `manager change` edits (group-socket-updatable.ts).
 */
export async function configDocument(
  manager: Pick<MetadataSourceManager, 'specs'>,
  socketName: string,
): Promise<JsonObject> {
  const groups: JsonObject = {};
  for (const spec of await manager.specs())
    groups[spec.id] = { Plugin: socketName, Properties: toInfraKitGroup(spec) };
  return { Groups: groups };
}

async function description(manager: MetadataSourceManager, id: string): Promise<JsonValue | undefined> {
  // A group removed between the listing and this read is simply not there any more.
  const view = await manager.group(groupId(id)).catch((error: unknown) => {
    if (TendError.is(error, 'not_found')) return undefined;
    throw error;
  });
  const status = view?.status;
  if (status === undefined || status === null) return undefined;
  return {
    ...groupDescriptionToWire({ instances: status.instances, converged: status.phase === 'converged' }),
    Desired: status.desired,
    Observed: status.observed,
    Healthy: status.healthy,
  };
}
