import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { type InstanceSpec, TAG_GROUP, TAG_LOGICAL, TAG_OP, type Tags } from '../../../spi/index.js';
import { type DockerProperties, memoryBytes } from './properties.js';

/**
 * Marks containers this plugin created. Describe and the reaper look only at marked containers,
 * so Tend never reports or removes a container somebody else started on the same engine.
 */
export const LABEL_MANAGED = 'tend.managed-by';
export const MANAGED_VALUE = 'tend-docker';

/** Labels that are this plugin's bookkeeping, not the caller's tags. */
export function isInternalLabel(key: string): boolean {
  return key === LABEL_MANAGED;
}

/**
 * A container name derived from the idempotency key, so two racing provisions of the same
 * operation collide on the engine (409) instead of creating two containers. Without a key the
 * engine picks a name and there is no idempotency to keep.
 */
export function containerName(tags: Tags, logicalId: string | undefined): string | undefined {
  const op = tags[TAG_OP];
  if (op === undefined || op === '') return undefined;
  const hash = createHash('sha256').update(op).digest('hex').slice(0, 16);
  const parts = ['tend', slug(tags[TAG_GROUP]), slug(logicalId), hash].filter((p) => p !== '');
  return parts.join('-');
}

/** Docker names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*; keep readable pieces short. */
function slug(value: string | undefined): string {
  if (value === undefined) return '';
  return value
    .replace(/[^a-zA-Z0-9_.-]+/g, '-')
    .replace(/^[^a-zA-Z0-9]+/, '')
    .slice(0, 40);
}

/**
 * The engine's create request for one instance. The flavor's init script, when present, is the
 * container's whole program (`/bin/sh -c <init>`, replacing the image's entrypoint); otherwise
 * `properties.command` (or the image's default) runs.
 */
export function containerCreateOptions(
  spec: InstanceSpec,
  properties: DockerProperties,
): Docker.ContainerCreateOptions {
  const labels: Record<string, string> = { ...spec.tags, [LABEL_MANAGED]: MANAGED_VALUE };
  if (spec.logicalId !== undefined) labels[TAG_LOGICAL] = spec.logicalId;

  const hostConfig: Docker.HostConfig = {};
  if (properties.networkMode !== undefined) hostConfig.NetworkMode = properties.networkMode;
  if (properties.mounts !== undefined) {
    hostConfig.Mounts = properties.mounts.map((m) => ({
      Type: 'bind',
      Source: m.source,
      Target: m.target,
      ReadOnly: m.readOnly ?? false,
    }));
  }
  if (properties.resources?.memory !== undefined)
    hostConfig.Memory = memoryBytes(properties.resources.memory);
  if (properties.resources?.cpus !== undefined) {
    hostConfig.NanoCpus = Math.round(properties.resources.cpus * 1e9);
  }
  if (properties.restartPolicy !== undefined) hostConfig.RestartPolicy = { Name: properties.restartPolicy };

  const options: Docker.ContainerCreateOptions = {
    Image: properties.image,
    Labels: labels,
    HostConfig: hostConfig,
  };
  const name = containerName(spec.tags, spec.logicalId);
  if (name !== undefined) options.name = name;
  if (properties.env !== undefined) {
    options.Env = Object.entries(properties.env).map(([key, value]) => `${key}=${value}`);
  }
  if (spec.init.trim() !== '') {
    options.Entrypoint = ['/bin/sh', '-c'];
    options.Cmd = [spec.init];
  } else if (properties.command !== undefined) {
    options.Cmd = properties.command;
  }
  return options;
}

/** A container's labels as Tend tags: the bookkeeping label removed. */
export function tagsFromLabels(labels: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!isInternalLabel(key)) tags[key] = value;
  }
  return tags;
}
