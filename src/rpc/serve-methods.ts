// Binds spi plugin interfaces to JSON-RPC method names; params are checked with the wire schemas
// (a ZodError becomes -32602 naming the field) and converted by the codec.
import {
  type CallOptions,
  type FlavorPlugin,
  type GroupPlugin,
  groupId,
  type InstancePlugin,
  instanceId,
  type ManagerPlugin,
  type MetadataPlugin,
  TendError,
} from '../spi/index.js';
import {
  allocationFromWire,
  descriptionFromWire,
  descriptionToWire,
  groupDescriptionToWire,
  healthToWire,
  indexFromWire,
  instanceSpecFromWire,
  instanceSpecToWire,
  tagsFromWire,
} from './codec.js';
import type { JsonRpcDispatcher } from './json-rpc-dispatcher.js';
import {
  flavorInstanceParams,
  flavorPrepareParams,
  flavorValidateParams,
  groupCommitParams,
  groupDestroyInstancesParams,
  groupIdParams,
  groupSetSizeParams,
  instanceDescribeParams,
  instanceDestroyParams,
  instanceLabelParams,
  instanceLogsParams,
  instanceProvisionParams,
  instanceValidateParams,
  metadataPathParams,
} from './wire.js';

/** Picks the implementation for a request's `Type` (absent when the plugin serves one type). */
export type TypePicker<P> = (type: string | null | undefined) => P;

export function registerInstanceMethods(
  dispatcher: JsonRpcDispatcher,
  pick: TypePicker<InstancePlugin>,
): void {
  dispatcher.register('Instance.Validate', async (raw, { signal }) => {
    const p = instanceValidateParams.parse(raw);
    await pick(p.Type).validate(p.Properties ?? undefined, { signal });
    return { Type: p.Type ?? '', OK: true };
  });
  dispatcher.register('Instance.Provision', async (raw, { signal }) => {
    const p = instanceProvisionParams.parse(raw);
    const id = await pick(p.Type).provision(instanceSpecFromWire(p.Spec), withEpoch(signal, p.Epoch));
    return { Type: p.Type ?? '', ID: id };
  });
  dispatcher.register('Instance.Label', async (raw, { signal }) => {
    const p = instanceLabelParams.parse(raw);
    await pick(p.Type).label(instanceId(p.Instance), tagsFromWire(p.Labels), withEpoch(signal, p.Epoch));
    return { Type: p.Type ?? '', OK: true };
  });
  dispatcher.register('Instance.Destroy', async (raw, { signal }) => {
    const p = instanceDestroyParams.parse(raw);
    const reason = p.Context?.Reason ?? 'terminate';
    await pick(p.Type).destroy(instanceId(p.Instance), { reason }, withEpoch(signal, p.Epoch));
    return { Type: p.Type ?? '', OK: true };
  });
  dispatcher.register('Instance.DescribeInstances', async (raw, { signal }) => {
    const p = instanceDescribeParams.parse(raw);
    const found = await pick(p.Type).describeInstances(tagsFromWire(p.Tags), {
      ...withEpoch(signal, p.Epoch),
      properties: p.Properties ?? false,
    });
    return { Type: p.Type ?? '', Descriptions: found.map(descriptionToWire) };
  });
  dispatcher.register('Instance.Logs', async (raw, { signal }) => {
    const p = instanceLogsParams.parse(raw);
    const plugin = pick(p.Type);
    if (plugin.logs === undefined) {
      throw new TendError('not_found', `instance type ${p.Type ?? '(default)'} keeps no logs`);
    }
    const text = await plugin.logs(instanceId(p.Instance), {
      signal,
      ...(p.TailBytes === undefined || p.TailBytes === null ? {} : { tailBytes: p.TailBytes }),
      ...(p.Since === undefined || p.Since === null ? {} : { sinceMs: p.Since }),
    });
    return { Type: p.Type ?? '', Text: text };
  });
}

/** A caller's `Epoch` reaches the plugin as `CallOptions.epoch` (docs/protocol.md, Fencing). */
function withEpoch(signal: AbortSignal, epoch: number | null | undefined): CallOptions {
  return epoch === undefined || epoch === null ? { signal } : { signal, epoch };
}

export function registerFlavorMethods(dispatcher: JsonRpcDispatcher, pick: TypePicker<FlavorPlugin>): void {
  dispatcher.register('Flavor.Validate', async (raw, { signal }) => {
    const p = flavorValidateParams.parse(raw);
    await pick(p.Type).validate(p.Properties ?? undefined, allocationFromWire(p.Allocation), { signal });
    return { Type: p.Type ?? '', OK: true };
  });
  dispatcher.register('Flavor.Prepare', async (raw, { signal }) => {
    const p = flavorPrepareParams.parse(raw);
    const spec = await pick(p.Type).prepare(
      p.Properties ?? undefined,
      instanceSpecFromWire(p.Spec),
      allocationFromWire(p.Allocation),
      indexFromWire(p.Index),
      { signal },
    );
    return { Type: p.Type ?? '', Spec: instanceSpecToWire(spec) };
  });
  dispatcher.register('Flavor.Healthy', async (raw, { signal }) => {
    const p = flavorInstanceParams.parse(raw);
    const health = await pick(p.Type).healthy(p.Properties ?? undefined, descriptionFromWire(p.Instance), {
      signal,
    });
    return { Type: p.Type ?? '', Health: healthToWire(health) };
  });
  dispatcher.register('Flavor.Drain', async (raw, { signal }) => {
    const p = flavorInstanceParams.parse(raw);
    await pick(p.Type).drain(p.Properties ?? undefined, descriptionFromWire(p.Instance), { signal });
    return { Type: p.Type ?? '', OK: true };
  });
}

export function registerGroupMethods(dispatcher: JsonRpcDispatcher, group: GroupPlugin): void {
  dispatcher.register('Group.CommitGroup', async (raw) => {
    const p = groupCommitParams.parse(raw);
    const details = await group.commitGroup(
      { id: p.Spec.ID, properties: p.Spec.Properties ?? null },
      p.Pretend ?? false,
    );
    return { Details: details };
  });
  dispatcher.register('Group.FreeGroup', async (raw) => {
    await group.freeGroup(groupId(groupIdParams.parse(raw).ID));
    return { OK: true };
  });
  dispatcher.register('Group.DestroyGroup', async (raw) => {
    await group.destroyGroup(groupId(groupIdParams.parse(raw).ID));
    return { OK: true };
  });
  dispatcher.register('Group.DescribeGroup', async (raw) => {
    const description = await group.describeGroup(groupId(groupIdParams.parse(raw).ID));
    return { Description: groupDescriptionToWire(description) };
  });
  dispatcher.register('Group.InspectGroups', async () => {
    const groups = await group.inspectGroups();
    return { Groups: groups.map((g) => ({ ID: g.id, Properties: g.properties })) };
  });
  dispatcher.register('Group.DestroyInstances', async (raw) => {
    const p = groupDestroyInstancesParams.parse(raw);
    await group.destroyInstances(groupId(p.ID), (p.Instances ?? []).map(instanceId));
    return { OK: true };
  });
  dispatcher.register('Group.Size', async (raw) => {
    return { Size: await group.size(groupId(groupIdParams.parse(raw).ID)) };
  });
  dispatcher.register('Group.SetSize', async (raw) => {
    const p = groupSetSizeParams.parse(raw);
    await group.setSize(groupId(p.ID), p.Size);
    return { OK: true };
  });
}

/** InfraKit's `Manager/0.1.0`: `{"Leader": true}` only when this manager leads for certain. */
export function registerManagerMethods(dispatcher: JsonRpcDispatcher, manager: ManagerPlugin): void {
  dispatcher.register('Manager.IsLeader', async () => ({ Leader: await manager.isLeader() }));
}

/** InfraKit's `Metadata/0.1.0`: an absent node answers `null`, as InfraKit's does, not an error. */
export function registerMetadataMethods(dispatcher: JsonRpcDispatcher, metadata: MetadataPlugin): void {
  dispatcher.register('Metadata.List', async (raw) => {
    const path = metadataPathParams.parse(raw).Path ?? [];
    return { Nodes: (await metadata.list(path)) ?? null };
  });
  dispatcher.register('Metadata.Get', async (raw) => {
    const path = metadataPathParams.parse(raw).Path ?? [];
    // InfraKit answers an empty path with no value rather than the whole tree.
    if (path.length === 0) return { Value: null };
    return { Value: (await metadata.get(path)) ?? null };
  });
}
