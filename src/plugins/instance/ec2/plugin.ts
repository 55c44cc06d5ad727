import {
  CreateTagsCommand,
  type EC2Client,
  GetConsoleOutputCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  type Clock,
  callEpoch,
  type Logger,
  MemoryEpochFence,
  silentLogger,
  systemClock,
} from '../../../lib/index.js';
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
  TAG_CONFIG,
  TAG_EPOCH,
  TAG_GROUP,
  TAG_OP,
  type Tags,
  TendError,
} from '../../../spi/index.js';
import { attachVolumes, checkVolumesFree } from './attachments.js';
import { createEc2Client, type Ec2ConnectionOptions } from './client.js';
import {
  describeInstance,
  ec2Call,
  listInstances,
  MAX_PAGE,
  MIN_PAGE,
  statusesOf,
  verdictOf,
} from './describe.js';
import { networkInterfaceFor } from './network.js';
import { parseEc2Properties } from './properties.js';
import { instanceTags, runInstancesInput, runOnce, volumesFor } from './provision.js';

export interface Ec2PluginOptions extends Ec2ConnectionOptions {
  /** A ready client instead of one made from the connection options (tests share one). */
  client?: EC2Client;
  logger?: Logger;
  clock?: Clock;
  /** DescribeInstances page size (MaxResults, 5–1000). Default 1000. */
  pageSize?: number;
  /**
   * Ask DescribeInstanceStatus for running instances' status checks on every describe (one call
   * per 100 running instances) so failing checks count as unhealthy. Default true.
   */
  statusChecks?: boolean;
  /** Waiting for volumes and for an instance to run before attaching: attempts × interval. Default 120 × 1 s. */
  attachPoll?: { attempts: number; intervalMs: number };
}

/**
 * The `ec2` instance plugin: RunInstances with Tend's tags, TerminateInstances, CreateTags, and
 * DescribeInstances by `tag:` filters. Pets keep a fixed private IP and their EBS volumes.
 */
export class Ec2InstancePlugin implements InstancePlugin {
  private readonly client: EC2Client;
  private readonly ownsClient: boolean;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly pageSize: number;
  private readonly statusChecks: boolean;
  private readonly attachPoll: { attempts: number; intervalMs: number };
  /**
   * In memory, as docker's: it fences the managers that share this plugin object (a plugin
   * process serving several managers); EC2 itself keeps no epoch, and the store fences the rest.
   */
  private readonly fence = new MemoryEpochFence({ plugin: 'ec2 plugin' });

  constructor(options: Ec2PluginOptions = {}) {
    this.client = options.client ?? createEc2Client(options);
    this.ownsClient = options.client === undefined;
    this.logger = (options.logger ?? silentLogger).child({ component: 'instance-ec2' });
    this.clock = options.clock ?? systemClock;
    const pageSize = options.pageSize ?? MAX_PAGE;
    if (!Number.isInteger(pageSize) || pageSize < MIN_PAGE || pageSize > MAX_PAGE) {
      throw new TendError(
        'invalid_spec',
        `ec2 plugin: pageSize must be a whole number ${MIN_PAGE}–${MAX_PAGE}, got ${pageSize}`,
      );
    }
    this.pageSize = pageSize;
    this.statusChecks = options.statusChecks ?? true;
    this.attachPoll = options.attachPoll ?? { attempts: 120, intervalMs: 1_000 };
  }

  async validate(properties: JsonValue | undefined, _options: CallOptions = {}): Promise<void> {
    // Offline on purpose: validate runs on every apply and plan, and AMIs, subnets and IAM are
    // checked by EC2 itself at the first RunInstances (refused there as invalid_spec, not retried).
    parseEc2Properties(properties);
  }

  async provision(spec: InstanceSpec, options: CallOptions = {}): Promise<InstanceId> {
    const properties = parseEc2Properties(spec.properties);
    this.fence.admit(callEpoch(options, spec.tags), 'provision');
    const signal = options.signal;
    const volumes = volumesFor(spec, properties);
    const attach = {
      client: this.client,
      clock: this.clock,
      logger: this.logger,
      poll: this.attachPoll,
      signal,
    };
    const placement = spec.logicalId === undefined ? undefined : properties.logicalIds?.[spec.logicalId];
    const context = { client: this.client, pageSize: this.pageSize, signal };
    const instance = await runOnce(context, spec, async () => {
      // Refuse before creating when a volume or the address still serves a live member: nothing
      // to undo then.
      if (volumes.length > 0) await checkVolumesFree(attach, volumes);
      const privateIp = placement?.privateIp;
      if (privateIp === undefined || properties.subnetId === undefined)
        return runInstancesInput(spec, properties);
      // The interface outlives instances: it carries the group and logical ID, not an operation.
      const tags = Object.entries(instanceTags(spec, properties))
        .filter(([key]) => key !== TAG_OP && key !== TAG_CONFIG && key !== TAG_EPOCH)
        .map(([Key, Value]) => ({ Key, Value }));
      const eni = await networkInterfaceFor(
        { client: this.client, signal },
        { subnetId: properties.subnetId, privateIp, securityGroupIds: properties.securityGroupIds, tags },
      );
      return runInstancesInput(spec, properties, eni);
    });
    const id = instance.InstanceId as string;
    // Also on a retried provision that found its instance: a lost answer may have come between
    // the create and the attach, and attachVolumes skips what is already in place.
    await attachVolumes(attach, id, volumes);
    this.logger.info('instance provisioned', {
      group: spec.tags[TAG_GROUP],
      instance: id,
      op: spec.tags[TAG_OP],
    });
    return instanceId(id);
  }

  async label(id: InstanceId, labels: Tags, options: CallOptions = {}): Promise<void> {
    this.fence.admit(callEpoch(options), `label of ${id}`);
    const tags = Object.entries(labels).map(([Key, Value]) => ({ Key, Value }));
    if (tags.length === 0) return;
    await ec2Call(`CreateTags on ${id}`, options.signal, (o) =>
      this.client.send(new CreateTagsCommand({ Resources: [id], Tags: tags }), o),
    );
  }

  async destroy(id: InstanceId, context: DestroyContext, options: CallOptions = {}): Promise<void> {
    this.fence.admit(callEpoch(options), `destroy of ${id}`);
    try {
      await ec2Call(`TerminateInstances ${id}`, options.signal, (o) =>
        this.client.send(new TerminateInstancesCommand({ InstanceIds: [id] }), o),
      );
    } catch (error) {
      // Gone already (or never an instance ID): what destroy wanted.
      if (TendError.is(error, 'not_found')) return;
      throw error;
    }
    this.logger.info('instance destroyed', { instance: id, reason: context.reason });
  }

  async describeInstances(tags: Tags, options: DescribeOptions = {}): Promise<InstanceDescription[]> {
    raiseOnDescribe(this.fence, callEpoch(options));
    const instances = await listInstances(this.client, tags, {
      pageSize: this.pageSize,
      signal: options.signal,
    });
    const statuses = this.statusChecks ? await statusesOf(this.client, instances, options.signal) : new Map();
    return instances.map((instance) =>
      describeInstance(
        instance,
        verdictOf(instance, statuses.get(instance.InstanceId ?? '')),
        options.properties === true,
      ),
    );
  }

  /** The console output EC2 keeps (the last 64 KB; on Nitro, only after the boot has written some). */
  async logs(id: InstanceId, options: LogsOptions = {}): Promise<string> {
    const answer = await ec2Call(`GetConsoleOutput ${id}`, options.signal, (o) =>
      this.client.send(new GetConsoleOutputCommand({ InstanceId: id, Latest: true }), o),
    ).catch(async (error: unknown) => {
      // `Latest` is for Nitro instances only; older types refuse it.
      if (!TendError.is(error, 'invalid_spec')) throw error;
      return ec2Call(`GetConsoleOutput ${id}`, options.signal, (o) =>
        this.client.send(new GetConsoleOutputCommand({ InstanceId: id }), o),
      );
    });
    const text = answer.Output === undefined ? '' : Buffer.from(answer.Output, 'base64').toString('utf8');
    const tail = options.tailBytes;
    if (tail === undefined || tail < 0) return text;
    const bytes = Buffer.from(text, 'utf8');
    return bytes.length <= tail ? text : bytes.subarray(bytes.length - tail).toString('utf8');
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}

/** A newer leader's describe raises the fence (docs/protocol.md); an older one's is answered. */
function raiseOnDescribe(fence: MemoryEpochFence, epoch: number | undefined): void {
  try {
    fence.admit(epoch, 'describe');
  } catch (error) {
    if (!TendError.is(error, 'fenced')) throw error;
  }
}
