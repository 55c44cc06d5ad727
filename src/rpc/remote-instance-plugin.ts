import {
  type CallOptions,
  type DescribeOptions,
  type DestroyContext,
  type InstanceDescription,
  type InstanceId,
  type InstancePlugin,
  type InstanceSpec,
  instanceId,
  type JsonValue,
  type LogsOptions,
  type Tags,
  TendError,
} from '../spi/index.js';
import { descriptionFromWire, instanceSpecToWire } from './codec.js';
import type { JsonRpcClient } from './json-rpc-client.js';
import { callChecked, callForOk, typed } from './remote-call.js';
import {
  instanceDescribeResult,
  instanceDestroyResult,
  instanceLabelResult,
  instanceLogsResult,
  instanceProvisionResult,
  instanceValidateResult,
} from './wire.js';

export interface RemoteInstancePluginOptions {
  client: JsonRpcClient;
  /** The `type` of a `lookup/type` name, sent as `"Type"` in every request. */
  type?: string;
  /** Close the client with the plugin (true when the plugin made or was handed its own client). */
  ownsClient?: boolean;
  /** The plugin announced `InstanceLogs` in its handshake: `logs` is offered. */
  logs?: boolean;
}

/** An InstancePlugin served by another process, reached over the plugin protocol. */
export class RemoteInstancePlugin implements InstancePlugin {
  private readonly client: JsonRpcClient;
  private readonly type: string | undefined;
  private readonly ownsClient: boolean;
  /** Present only when the plugin announced it: callers test for it, as for any optional method. */
  readonly logs?: (id: InstanceId, options?: LogsOptions) => Promise<string>;

  constructor(options: RemoteInstancePluginOptions) {
    this.client = options.client;
    this.type = options.type;
    this.ownsClient = options.ownsClient ?? true;
    if (options.logs === true) this.logs = (id, logsOptions) => this.remoteLogs(id, logsOptions);
  }

  private async remoteLogs(id: InstanceId, options: LogsOptions = {}): Promise<string> {
    const params = typed(this.type, {
      Instance: id,
      ...(options.tailBytes === undefined ? {} : { TailBytes: Math.max(0, Math.floor(options.tailBytes)) }),
      ...(options.sinceMs === undefined ? {} : { Since: Math.max(0, options.sinceMs) }),
    });
    const callOptions: CallOptions = options.signal === undefined ? {} : { signal: options.signal };
    const result = await callChecked(this.client, 'Instance.Logs', params, instanceLogsResult, callOptions);
    return result.Text ?? '';
  }

  async validate(properties: JsonValue | undefined, options?: CallOptions): Promise<void> {
    const method = 'Instance.Validate';
    const params = typed(this.type, { Properties: properties ?? null });
    await callForOk(this.client, method, params, instanceValidateResult, options);
  }

  async provision(spec: InstanceSpec, options?: CallOptions): Promise<InstanceId> {
    const method = 'Instance.Provision';
    const params = typed(this.type, { Spec: instanceSpecToWire(spec), ...epochParam(options) });
    const result = await callChecked(this.client, method, params, instanceProvisionResult, options);
    if (result.ID === undefined || result.ID === null || result.ID === '') {
      throw new TendError('internal', `plugin ${this.client.pluginName}: ${method} answered without an ID`, {
        details: { plugin: this.client.pluginName, method },
      });
    }
    return instanceId(result.ID);
  }

  async label(id: InstanceId, labels: Tags, options?: CallOptions): Promise<void> {
    const method = 'Instance.Label';
    const params = typed(this.type, { Instance: id, Labels: { ...labels }, ...epochParam(options) });
    await callForOk(this.client, method, params, instanceLabelResult, options);
  }

  async destroy(id: InstanceId, context: DestroyContext, options?: CallOptions): Promise<void> {
    const method = 'Instance.Destroy';
    const params = typed(this.type, {
      Instance: id,
      Context: { Reason: context.reason },
      ...epochParam(options),
    });
    await callForOk(this.client, method, params, instanceDestroyResult, options);
  }

  async describeInstances(tags: Tags, options?: DescribeOptions): Promise<InstanceDescription[]> {
    const params = typed(this.type, {
      Tags: { ...tags },
      Properties: options?.properties ?? false,
      ...epochParam(options),
    });
    const callOptions: CallOptions = options?.signal === undefined ? {} : { signal: options.signal };
    const result = await callChecked(
      this.client,
      'Instance.DescribeInstances',
      params,
      instanceDescribeResult,
      callOptions,
    );
    return (result.Descriptions ?? []).map(descriptionFromWire);
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.close();
  }
}

/** Sent only when set: InfraKit plugins ignore the extra field, Tend's fence on it. */
function epochParam(options: CallOptions | undefined): { Epoch?: number } {
  return options?.epoch === undefined ? {} : { Epoch: options.epoch };
}
