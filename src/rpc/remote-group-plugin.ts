import {
  type GroupId,
  type GroupPlugin,
  groupId,
  type InstanceId,
  type InstanceStatus,
  type JsonValue,
} from '../spi/index.js';
import { instanceStatusFromWire } from './codec.js';
import type { JsonRpcClient } from './json-rpc-client.js';
import { callChecked, callForOk } from './remote-call.js';
import {
  groupCommitResult,
  groupDescribeResult,
  groupInspectResult,
  groupOkResult,
  groupSizeResult,
} from './wire.js';

export interface RemoteGroupPluginOptions {
  client: JsonRpcClient;
  /** Close the client with the plugin. Default true. */
  ownsClient?: boolean;
}

/** InfraKit's `Group.*` service of a manager, reached over the plugin protocol. */
export class RemoteGroupPlugin implements GroupPlugin {
  private readonly client: JsonRpcClient;
  private readonly ownsClient: boolean;

  constructor(options: RemoteGroupPluginOptions) {
    this.client = options.client;
    this.ownsClient = options.ownsClient ?? true;
  }

  async commitGroup(spec: { id: string; properties: JsonValue }, pretend: boolean): Promise<string> {
    const params = { Spec: { ID: spec.id, Properties: spec.properties }, Pretend: pretend };
    const result = await callChecked(this.client, 'Group.CommitGroup', params, groupCommitResult);
    return result.Details ?? '';
  }

  async freeGroup(id: GroupId): Promise<void> {
    await this.ok('Group.FreeGroup', { ID: id });
  }

  async destroyGroup(id: GroupId): Promise<void> {
    await this.ok('Group.DestroyGroup', { ID: id });
  }

  async describeGroup(id: GroupId): Promise<{ instances: InstanceStatus[]; converged: boolean }> {
    const result = await callChecked(this.client, 'Group.DescribeGroup', { ID: id }, groupDescribeResult);
    return {
      instances: (result.Description.Instances ?? []).map(instanceStatusFromWire),
      converged: result.Description.Converged ?? false,
    };
  }

  async inspectGroups(): Promise<Array<{ id: GroupId; properties: JsonValue }>> {
    const result = await callChecked(this.client, 'Group.InspectGroups', {}, groupInspectResult);
    return (result.Groups ?? []).map((g) => ({ id: groupId(g.ID), properties: g.Properties ?? null }));
  }

  async destroyInstances(id: GroupId, instances: readonly InstanceId[]): Promise<void> {
    await this.ok('Group.DestroyInstances', { ID: id, Instances: [...instances] });
  }

  async size(id: GroupId): Promise<number> {
    return (await callChecked(this.client, 'Group.Size', { ID: id }, groupSizeResult)).Size;
  }

  async setSize(id: GroupId, size: number): Promise<void> {
    await this.ok('Group.SetSize', { ID: id, Size: size });
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.close();
  }

  private async ok(method: string, params: Record<string, unknown>): Promise<void> {
    await callForOk(this.client, method, params, groupOkResult);
  }
}
