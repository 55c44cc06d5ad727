#!/usr/bin/env -S node --import tsx
// An instance plugin written in TypeScript: in-memory instances, served over the plugin protocol
// with servePlugin. Tests and the rpc benchmark use it as a fake; run it to try the protocol:
//   TEND_PLUGIN_DIR=/tmp/tend-plugins node --import tsx examples/plugins/typescript/memory-instance-plugin.ts memory
import { pathToFileURL } from 'node:url';
import { pluginDir, servePlugin } from '../../../src/rpc/index.js';
import {
  type CallOptions,
  type DescribeOptions,
  type InstanceDescription,
  type InstanceId,
  type InstancePlugin,
  type InstanceSpec,
  instanceId,
  type JsonValue,
  TAG_OP,
  type Tags,
  TendError,
} from '../../../src/spi/index.js';

export class MemoryInstancePlugin implements InstancePlugin {
  private readonly instances = new Map<InstanceId, InstanceDescription>();
  private next = 1;

  async validate(properties: JsonValue | undefined, _options?: CallOptions): Promise<void> {
    if (properties !== undefined && properties !== null && (typeof properties !== 'object' || Array.isArray(properties))) {
      throw new TendError('invalid_spec', `properties must be an object, got ${JSON.stringify(properties)}`);
    }
  }

  async provision(spec: InstanceSpec, _options?: CallOptions): Promise<InstanceId> {
    const op = spec.tags[TAG_OP];
    // Idempotency: a retried provision (same tend.op) returns the instance the first one made.
    const existing = op === undefined ? undefined : [...this.instances.values()].find((d) => d.tags[TAG_OP] === op);
    if (existing !== undefined) return existing.id;
    const id = instanceId(`mem-${this.next++}`);
    const description: InstanceDescription = { id, tags: { ...spec.tags } };
    if (spec.logicalId !== undefined) description.logicalId = spec.logicalId;
    if (spec.properties !== undefined) description.properties = spec.properties;
    this.instances.set(id, description);
    return id;
  }

  async label(id: InstanceId, labels: Tags, _options?: CallOptions): Promise<void> {
    const found = this.instances.get(id);
    if (found === undefined) throw new TendError('not_found', `instance ${id} does not exist`);
    found.tags = { ...found.tags, ...labels };
  }

  async destroy(id: InstanceId): Promise<void> {
    this.instances.delete(id);
  }

  async describeInstances(tags: Tags, options?: DescribeOptions): Promise<InstanceDescription[]> {
    const wanted = Object.entries(tags);
    return [...this.instances.values()]
      .filter((d) => wanted.every(([key, value]) => d.tags[key] === value))
      .map(({ properties, ...rest }) =>
        options?.properties === true && properties !== undefined ? { ...rest, properties } : rest,
      );
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const name = process.argv[2] ?? 'memory';
  const dir = pluginDir();
  const server = await servePlugin({ dir, name, instance: new MemoryInstancePlugin() });
  process.stdout.write(`listening on ${server.socketPath}\n`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
