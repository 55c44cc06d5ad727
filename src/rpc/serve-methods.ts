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
  type UpdatablePlugin,
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
  groupNameParams,
  groupSetSizeParams,
  instanceDescribeParams,
  instanceDestroyParams,
  instanceLabelParams,
  instanceLogsParams,
  instanceProvisionParams,
  instanceValidateParams,
  metadataPathParams,
  updatableChangesParams,
  updatableCommitParams,
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

/**
 * Group/0.1.0 and /0.1.1 on one set of methods. A request with a `Name` is a 0.1.1 caller's: it is
 * answered as InfraKit HEAD answers (the `Name` and `ID` echoed beside the result), else as v0.5.
 */
export function registerGroupMethods(dispatcher: JsonRpcDispatcher, group: GroupPlugin): void {
  dispatcher.register('Group.CommitGroup', async (raw) => {
    const p = groupCommitParams.parse(raw);
    await checkAddressed(group, p.Name);
    const spec = { id: p.Spec.ID, properties: p.Spec.Properties ?? null };
    const details = await group.commitGroup(spec, p.Pretend ?? false);
    return reply(p.Name, p.Spec.ID, { Details: details });
  });
  dispatcher.register('Group.FreeGroup', async (raw) => {
    const p = groupIdParams.parse(raw);
    await checkAddressed(group, p.Name);
    await group.freeGroup(groupId(p.ID));
    return reply(p.Name, p.ID, {}, { OK: true });
  });
  dispatcher.register('Group.DestroyGroup', async (raw) => {
    const p = groupIdParams.parse(raw);
    await checkAddressed(group, p.Name);
    await group.destroyGroup(groupId(p.ID));
    return reply(p.Name, p.ID, {}, { OK: true });
  });
  dispatcher.register('Group.DescribeGroup', async (raw) => {
    const p = groupIdParams.parse(raw);
    await checkAddressed(group, p.Name);
    const description = await group.describeGroup(groupId(p.ID));
    return reply(p.Name, p.ID, { Description: groupDescriptionToWire(description) });
  });
  dispatcher.register('Group.InspectGroups', async (raw) => {
    const p = groupNameParams.parse(raw);
    await checkAddressed(group, p.Name);
    const groups = (await group.inspectGroups()).map((g) => ({ ID: g.id, Properties: g.properties }));
    return reply(p.Name, '', { Groups: groups });
  });
  dispatcher.register('Group.DestroyInstances', async (raw) => {
    const p = groupDestroyInstancesParams.parse(raw);
    await checkAddressed(group, p.Name);
    await group.destroyInstances(groupId(p.ID), (p.Instances ?? []).map(instanceId));
    return reply(p.Name, p.ID, {}, { OK: true });
  });
  dispatcher.register('Group.Size', async (raw) => {
    const p = groupIdParams.parse(raw);
    await checkAddressed(group, p.Name);
    return reply(p.Name, p.ID, { Size: await group.size(groupId(p.ID)) });
  });
  dispatcher.register('Group.SetSize', async (raw) => {
    const p = groupSetSizeParams.parse(raw);
    await checkAddressed(group, p.Name);
    await group.setSize(groupId(p.ID), p.Size);
    return reply(p.Name, p.ID, {}, { OK: true });
  });
}

/**
 * A 0.1.1 caller (one that sends `Name`) gets InfraKit HEAD's answer: `Name` and `ID` echoed
 * beside `result`; a 0.1.0 caller gets v0.5's, `result` plus `v010` (`OK: true` for writes).
 */
function reply(name: string | null | undefined, id: string, result: object, v010: object = {}): object {
  return typeof name === 'string' ? { Name: name, ID: id, ...result } : { ...result, ...v010 };
}

/**
 * InfraKit HEAD resolves a request's `Name`: `group` (or `group/groups`) is the plugin itself,
 * `group/<ID>` the plugin of group `<ID>`, which must exist — else `not found: <Name> (key=<ID>)`,
 * as its `rpc/internal.Keyed` says. The request's `ID` still names the group acted on.
 */
async function checkAddressed(group: GroupPlugin, name: string | null | undefined): Promise<void> {
  const slash = name?.indexOf('/') ?? -1;
  const key = name === null || name === undefined || slash === -1 ? '' : name.slice(slash + 1);
  if (key === '' || key === '.' || key === 'groups') return;
  if ((await group.inspectGroups()).some((g) => g.id === key)) return;
  throw new TendError('not_found', `not found: ${name} (key=${key})`);
}

/** InfraKit's `Manager/0.1.0`: `{"Leader": true}` only when this manager leads for certain. */
export function registerManagerMethods(dispatcher: JsonRpcDispatcher, manager: ManagerPlugin): void {
  dispatcher.register('Manager.IsLeader', async () => ({ Leader: await manager.isLeader() }));
}

/** InfraKit's `Metadata/0.1.0`: an absent node answers `null`, as InfraKit's does, not an error. */
export function registerMetadataMethods(
  dispatcher: JsonRpcDispatcher,
  metadata: MetadataPlugin,
  service: 'Metadata' | 'Updatable' = 'Metadata',
): void {
  dispatcher.register(`${service}.List`, async (raw) => {
    const path = metadataPathParams.parse(raw).Path ?? [];
    return { Nodes: (await metadata.list(path)) ?? null };
  });
  dispatcher.register(`${service}.Get`, async (raw) => {
    const path = metadataPathParams.parse(raw).Path ?? [];
    // InfraKit answers an empty path with no value rather than the whole tree.
    if (path.length === 0) return { Value: null };
    return { Value: (await metadata.get(path)) ?? null };
  });
}

/**
 * InfraKit's `Updatable/0.1.0` (`infrakit manager change`): `List`/`Get` as Metadata's, then
 * `Changes` proposes and `Commit` applies a proposal whose `Cas` still matches.
 */
export function registerUpdatableMethods(dispatcher: JsonRpcDispatcher, updatable: UpdatablePlugin): void {
  registerMetadataMethods(dispatcher, updatable, 'Updatable');
  dispatcher.register('Updatable.Changes', async (raw) => {
    const changes = (updatableChangesParams.parse(raw).Changes ?? []).map((c) => ({
      path: c.Path ?? [],
      value: c.Value ?? null,
    }));
    const { original, proposed, cas } = await updatable.changes(changes);
    return { Original: original, Proposed: proposed, Cas: cas };
  });
  dispatcher.register('Updatable.Commit', async (raw) => {
    const p = updatableCommitParams.parse(raw);
    await updatable.commit(p.Proposed ?? null, p.Cas);
    return {};
  });
}
