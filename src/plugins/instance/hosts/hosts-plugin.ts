import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  type Clock,
  KeyedSerial,
  type Logger,
  shellQuote,
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
  type JsonValue,
  type LogsOptions,
  TAG_GROUP,
  TAG_OP,
  type Tags,
  TendError,
  toTendError,
} from '../../../spi/index.js';
import { type HostsConfig, parseHostsProperties } from './config.js';
import { carriesTags, describeScan, type HostScan, scannedRecord } from './describe-host.js';
import { type ClaimRecord, HostClient } from './host-client.js';
import { KnownHosts } from './known-hosts.js';
import { LocalState } from './local-state.js';
import { PoolScanner } from './pool-scanner.js';
import { provisionOn } from './provision.js';

export interface HostsPluginOptions {
  config: HostsConfig;
  /** The plugin's cache of claims last seen on hosts that stop answering (`hosts.json`). */
  stateDir: string;
  logger?: Logger;
  clock?: Clock;
}

export type HostsPlugin = InstancePlugin & Required<Pick<InstancePlugin, 'logs' | 'close'>>;

const MAX_INIT_BYTES = 1 << 20;
const DEFAULT_LOG_TAIL = 64 * 1024;
const MAX_LOG_TAIL = 1 << 20;
const idPattern = /^([A-Za-z0-9][A-Za-z0-9._]*)-([0-9a-f]{12})$/;

/** Reads the key files and the known-hosts file once; errors name the file. */
export async function createHostsPlugin(options: HostsPluginOptions): Promise<HostsPlugin> {
  const { config } = options;
  const known = new KnownHosts(
    await readFile(config.knownHostsFile, 'utf8').catch((error: unknown) => {
      throw new TendError('invalid_spec', `hosts: knownHostsFile ${config.knownHostsFile}: ${String(error)}`);
    }),
    config.knownHostsFile,
  );
  const keys = new Map<string, Buffer>();
  const clients = await Promise.all(
    config.pool.map(async (host, index) => {
      let key = keys.get(host.keyFile);
      if (key === undefined) {
        key = await readFile(host.keyFile).catch((error: unknown) => {
          throw new TendError(
            'invalid_spec',
            `hosts: pool[${index}].keyFile ${host.keyFile}: ${String(error)}`,
          );
        });
        keys.set(host.keyFile, key);
      }
      return new HostClient({ host, key, known, claimDir: config.claimDir, timeouts: config });
    }),
  );
  const logger = (options.logger ?? silentLogger).child({ component: 'plugin-hosts' });
  const state = new LocalState({ stateDir: options.stateDir, logger });
  await state.load();
  return new HostsInstancePlugin({ config, clients, state, logger, clock: options.clock ?? systemClock });
}

/**
 * Instances are hosts of a fixed pool. The claim on the host is the instance: provision claims
 * a free host atomically and runs the Init there, destroy resets the host and releases it, and
 * describe reads every host's claim. A host that does not answer is reported with the claim it
 * carried when it last did, as `unhealthy` — unreachable is not absent.
 */
class HostsInstancePlugin implements HostsPlugin {
  private readonly config: HostsConfig;
  private readonly clients: readonly HostClient[];
  private readonly byName: ReadonlyMap<string, HostClient>;
  private readonly state: LocalState;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly pendingOps = new Map<string, Promise<InstanceId>>();
  private readonly labelQueues = new KeyedSerial();
  private readonly scanner: PoolScanner;
  private closed = false;

  constructor(o: {
    config: HostsConfig;
    clients: HostClient[];
    state: LocalState;
    logger: Logger;
    clock: Clock;
  }) {
    this.config = o.config;
    this.clients = o.clients;
    this.byName = new Map(o.clients.map((c) => [c.host.name, c]));
    this.state = o.state;
    this.logger = o.logger;
    this.clock = o.clock;
    this.scanner = new PoolScanner({
      config: o.config,
      clients: o.clients,
      state: o.state,
      logger: o.logger,
    });
  }

  async validate(properties: JsonValue | undefined): Promise<void> {
    const parsed = parseHostsProperties(properties);
    for (const name of parsed.hosts ?? []) {
      if (!this.byName.has(name))
        throw new TendError('invalid_spec', `hosts plugin: properties.hosts: ${name} is not in the pool`);
    }
  }

  async provision(spec: InstanceSpec, options: CallOptions = {}): Promise<InstanceId> {
    this.assertOpen('provision');
    await this.validate(spec.properties);
    if (Buffer.byteLength(spec.init, 'utf8') > MAX_INIT_BYTES) {
      throw new TendError('invalid_spec', `hosts plugin: init is longer than ${MAX_INIT_BYTES} bytes`);
    }
    const op = spec.tags[TAG_OP];
    if (op === undefined) return this.provisionOnce(spec, undefined, options.signal);
    const pending = this.pendingOps.get(op);
    if (pending !== undefined) return pending;
    const attempt = this.provisionOnce(spec, op, options.signal);
    this.pendingOps.set(op, attempt);
    try {
      return await attempt;
    } finally {
      this.pendingOps.delete(op);
    }
  }

  async label(id: InstanceId, labels: Tags, options: CallOptions = {}): Promise<void> {
    this.assertOpen('label');
    const client = this.clientOf(id);
    await this.labelQueues.run(id, async () => {
      const read = client === undefined ? undefined : await client.read(options.signal);
      if (client === undefined || read?.state !== 'claimed' || read.record.id !== id) {
        throw new TendError('not_found', `hosts plugin: label: no instance ${id}`);
      }
      const record: ClaimRecord = { ...read.record, tags: { ...read.record.tags, ...labels } };
      if (!(await client.label(record, options.signal))) {
        throw new TendError('not_found', `hosts plugin: label: ${id} was released meanwhile`);
      }
      this.state.setSeen(client.host.name, record);
      await this.state.flush();
    });
  }

  /**
   * Resets the host and releases its claim. A host that does not answer cannot be reset now:
   * the destroy is remembered and completed when the host answers again, and the instance is no
   * longer reported, so its slot can be refilled elsewhere. A failing reset keeps the claim.
   */
  async destroy(id: InstanceId, context: DestroyContext, options: CallOptions = {}): Promise<void> {
    this.assertOpen('destroy');
    const client = this.clientOf(id);
    if (client === undefined) return;
    const name = client.host.name;
    let outcome: Awaited<ReturnType<HostClient['release']>>;
    try {
      outcome = await client.release(id, this.config.resetScript, options.signal);
    } catch (error) {
      const failure = toTendError(error);
      if (failure.kind !== 'unavailable' && failure.kind !== 'timeout') throw failure;
      this.state.setReleasing(name, id);
      await this.state.flush();
      this.logger.warn('host unreachable; release deferred until it answers', {
        instance: id,
        host: name,
        error: failure.message,
      });
      return;
    }
    if (typeof outcome === 'number') {
      throw new TendError(
        'internal',
        `hosts plugin: reset script exited ${outcome} on host ${name}; ${id} keeps its claim`,
      );
    }
    if (this.state.seen(name)?.id === id) this.state.setSeen(name, undefined);
    if (this.state.releasing(name) === id) this.state.setReleasing(name, undefined);
    await this.state.flush();
    this.logger.info('instance destroyed', { instance: id, host: name, reason: context.reason, outcome });
  }

  async describeInstances(tags: Tags, options: DescribeOptions = {}): Promise<InstanceDescription[]> {
    this.assertOpen('describeInstances');
    const scans = await this.scan(options.signal);
    const found: InstanceDescription[] = [];
    for (const scan of scans) {
      const record = scannedRecord(scan);
      if (record === undefined || this.state.releasing(scan.client.host.name) === record.id) continue;
      if (!carriesTags(record, tags)) continue;
      found.push(describeScan(scan, record, options.properties === true));
    }
    return found;
  }

  async logs(id: InstanceId, options: LogsOptions = {}): Promise<string> {
    this.assertOpen('logs');
    const client = this.clientOf(id);
    const bytes = Math.min(MAX_LOG_TAIL, Math.max(1, Math.floor(options.tailBytes ?? DEFAULT_LOG_TAIL)));
    const text = client === undefined ? undefined : await client.logs(id, bytes, options.signal);
    if (text === undefined) throw new TendError('not_found', `hosts plugin: no log of instance ${id}`);
    return text;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.scanner.close();
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new TendError('unavailable', `hosts plugin: ${operation} after close`);
  }

  private clientOf(id: string): HostClient | undefined {
    const name = idPattern.exec(id)?.[1];
    return name === undefined ? undefined : this.byName.get(name);
  }

  private scan(signal: AbortSignal | undefined): Promise<HostScan[]> {
    return this.scanner.scan(signal);
  }

  private async provisionOnce(
    spec: InstanceSpec,
    op: string | undefined,
    signal?: AbortSignal,
  ): Promise<InstanceId> {
    const scans = await this.scan(signal);
    const properties = parseHostsProperties(spec.properties);
    const result = await provisionOn({
      spec,
      op,
      properties,
      scans,
      pool: this.clients,
      releasing: (host) => this.state.releasing(host),
      resetScript: this.config.resetScript,
      newRecord: (client) => this.newRecord(client, spec, op),
      init: (record) => initText(record, spec.init),
      order: (name) =>
        createHash('sha256')
          .update(`${op ?? randomBytes(8).toString('hex')}/${name}`)
          .digest('hex'),
      remember: async (client, record) => {
        this.state.setSeen(client.host.name, record);
        await this.state.flush();
      },
      ...(signal === undefined ? {} : { signal }),
    });
    this.logger.info('instance provisioned', {
      instance: result,
      logicalId: spec.logicalId,
      group: spec.tags[TAG_GROUP],
    });
    return result;
  }

  private newRecord(client: HostClient, spec: InstanceSpec, op: string | undefined): ClaimRecord {
    const id = `${client.host.name}-${randomBytes(6).toString('hex')}`;
    const record: ClaimRecord = {
      v: 1,
      id,
      host: client.host.name,
      tags: { ...spec.tags },
      claimedAt: this.clock.now(),
    };
    if (op !== undefined) record.op = op;
    if (spec.logicalId !== undefined) record.logicalId = spec.logicalId;
    return record;
  }
}

/** The Init as it runs on the host: Tend's variables first, then the flavor's script. */
function initText(record: ClaimRecord, init: string): string {
  const vars = [`TEND_INSTANCE_ID=${shellQuote(record.id)}`, `TEND_HOST=${shellQuote(record.host)}`];
  if (record.logicalId !== undefined) vars.push(`TEND_LOGICAL_ID=${shellQuote(record.logicalId)}`);
  return `export ${vars.join(' ')}\n${init}\n`;
}
