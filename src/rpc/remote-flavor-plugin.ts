import type {
  Allocation,
  CallOptions,
  FlavorIndex,
  FlavorPlugin,
  Health,
  InstanceDescription,
  InstanceSpec,
  JsonValue,
} from '../spi/index.js';
import {
  allocationToWire,
  descriptionToWire,
  healthFromWire,
  indexToWire,
  instanceSpecFromWire,
  instanceSpecToWire,
} from './codec.js';
import type { JsonRpcClient } from './json-rpc-client.js';
import { callChecked, callForOk, typed } from './remote-call.js';
import { flavorDrainResult, flavorHealthyResult, flavorPrepareResult, flavorValidateResult } from './wire.js';

export interface RemoteFlavorPluginOptions {
  client: JsonRpcClient;
  /** The `type` of a `lookup/type` name, sent as `"Type"` in every request. */
  type?: string;
  /** Close the client with the plugin. Default true. */
  ownsClient?: boolean;
}

/** A FlavorPlugin served by another process, reached over the plugin protocol. */
export class RemoteFlavorPlugin implements FlavorPlugin {
  private readonly client: JsonRpcClient;
  private readonly type: string | undefined;
  private readonly ownsClient: boolean;

  constructor(options: RemoteFlavorPluginOptions) {
    this.client = options.client;
    this.type = options.type;
    this.ownsClient = options.ownsClient ?? true;
  }

  async validate(
    properties: JsonValue | undefined,
    allocation: Allocation,
    options?: CallOptions,
  ): Promise<void> {
    const params = typed(this.type, {
      Properties: properties ?? null,
      Allocation: allocationToWire(allocation),
    });
    await callForOk(this.client, 'Flavor.Validate', params, flavorValidateResult, options);
  }

  async prepare(
    properties: JsonValue | undefined,
    spec: InstanceSpec,
    allocation: Allocation,
    index: FlavorIndex,
    options?: CallOptions,
  ): Promise<InstanceSpec> {
    const params = typed(this.type, {
      Properties: properties ?? null,
      Spec: instanceSpecToWire(spec),
      Allocation: allocationToWire(allocation),
      Index: indexToWire(index),
    });
    const result = await callChecked(this.client, 'Flavor.Prepare', params, flavorPrepareResult, options);
    return instanceSpecFromWire(result.Spec);
  }

  async healthy(
    properties: JsonValue | undefined,
    instance: InstanceDescription,
    options?: CallOptions,
  ): Promise<Health> {
    const params = typed(this.type, {
      Properties: properties ?? null,
      Instance: descriptionToWire(instance),
    });
    const result = await callChecked(this.client, 'Flavor.Healthy', params, flavorHealthyResult, options);
    return healthFromWire(result.Health);
  }

  async drain(
    properties: JsonValue | undefined,
    instance: InstanceDescription,
    options?: CallOptions,
  ): Promise<void> {
    const params = typed(this.type, {
      Properties: properties ?? null,
      Instance: descriptionToWire(instance),
    });
    await callForOk(this.client, 'Flavor.Drain', params, flavorDrainResult, options);
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.close();
  }
}
