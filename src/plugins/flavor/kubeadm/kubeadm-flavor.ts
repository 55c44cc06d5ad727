import { execFile } from 'node:child_process';
import { type Clock, type Logger, shellQuote, silentLogger, systemClock } from '../../../lib/index.js';
import {
  type Allocation,
  type CallOptions,
  type FlavorIndex,
  type FlavorPlugin,
  type Health,
  type InstanceDescription,
  type InstanceSpec,
  TAG_LOGICAL,
  TendError,
} from '../../../spi/index.js';
import { type KubeadmAction, kubeadmDocuments, toYaml } from './documents.js';
import { durationSeconds, type KubeadmProperties, parseKubeadmProperties } from './properties.js';
import {
  type ClusterSecrets,
  generateBootstrapToken,
  generateCertificateKey,
  type RandomBytes,
  redactSecrets,
} from './secrets.js';
import { kubeadmDocumentSchema } from './v1beta4-schema.js';

export interface KubeadmFlavorOptions {
  logger?: Logger;
  clock?: Clock;
  /** Crypto-random by default; tests inject a fixed source to compare against golden files. */
  randomBytes?: RandomBytes;
  /** Bound for each kubectl call. Default 10000 ms. */
  requestTimeoutMs?: number;
}

/** Tags describing a node; tokens and keys never go into tags (describe output shows them). */
export const TAG_KUBEADM_ROLE = 'kubeadm.role';
export const TAG_KUBEADM_NODE = 'kubeadm.node';

/**
 * Kubernetes nodes made with kubeadm. The first control-plane logical ID (sorted) runs
 * `kubeadm init`; other control-plane members and workers `kubeadm join` with the group's
 * bootstrap token and the pinned CA hashes. One token (and certificate key) per group, kept in
 * memory and reissued halfway through its TTL, so every node of a group prepares alike.
 */
export function createKubeadmFlavor(options: KubeadmFlavorOptions = {}): FlavorPlugin {
  const logger = (options.logger ?? silentLogger).child({ component: 'flavor-kubeadm' });
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const secretsByGroup = new Map<string, ClusterSecrets>();

  const secretsFor = (group: string, props: KubeadmProperties): ClusterSecrets => {
    const now = clock.now();
    const current = secretsByGroup.get(group);
    if (current !== undefined && now < current.renewAt) return current;
    const fresh: ClusterSecrets = {
      token: generateBootstrapToken(options.randomBytes),
      certificateKey: current?.certificateKey ?? generateCertificateKey(options.randomBytes),
      renewAt: now + (durationSeconds(props.tokenTtl) * 1000) / 2,
    };
    secretsByGroup.set(group, fresh);
    // The event says that a token was issued, never which.
    logger.info('bootstrap token issued', { group, ttl: props.tokenTtl });
    return fresh;
  };

  return {
    async validate(properties, allocation: Allocation) {
      const props = parseKubeadmProperties(properties);
      if (props.role === 'control-plane' && !('logicalIds' in allocation)) {
        throw new TendError(
          'invalid_spec',
          'kubeadm flavor: allocation.size: control-plane nodes need allocation.logicalIds (the first one runs kubeadm init)',
        );
      }
    },

    async prepare(properties, spec, allocation, index: FlavorIndex) {
      const props = parseKubeadmProperties(properties);
      const action = actionFor(props, spec, allocation);
      const name = spec.logicalId ?? `${index.group}-${index.sequence}`;
      const documents = kubeadmDocuments(
        props,
        action,
        { name, clusterName: index.group },
        secretsFor(index.group, props),
      );
      for (const document of documents) {
        const checked = kubeadmDocumentSchema.safeParse(document);
        if (!checked.success) {
          // The message names the field; the document itself (with its token) is left out.
          throw new TendError(
            'internal',
            `kubeadm flavor: generated ${String(document.kind)} does not match v1beta4: ${redactSecrets(checked.error.message)}`,
          );
        }
      }
      return {
        ...spec,
        tags: { ...spec.tags, [TAG_KUBEADM_ROLE]: props.role, [TAG_KUBEADM_NODE]: name },
        init: initScript(props, action, toYaml(documents)),
        attachments: [...spec.attachments],
      } satisfies InstanceSpec;
    },

    async healthy(properties, instance: InstanceDescription, callOptions: CallOptions = {}): Promise<Health> {
      const props = parseKubeadmProperties(properties);
      const name = instance.tags[TAG_KUBEADM_NODE] ?? instance.logicalId ?? instance.tags[TAG_LOGICAL];
      if (props.kubeconfig === undefined || name === undefined) return 'unknown';
      try {
        const out = await kubectl(props, ['get', 'node', name, '-o', 'json'], timeoutMs, callOptions.signal);
        return nodeReady(out);
      } catch (error) {
        const message = redactSecrets(error instanceof Error ? error.message : String(error));
        // NotFound: the node never registered or was deleted. Anything else: we cannot tell.
        if (/NotFound|not found/.test(message)) return 'unhealthy';
        logger.warn('node health unknown', { node: name, error: message });
        return 'unknown';
      }
    },

    // Draining pods (kubectl drain) needs cluster credentials this flavor does not assume.
    async drain() {},
  };
}

function actionFor(props: KubeadmProperties, spec: InstanceSpec, allocation: Allocation): KubeadmAction {
  if (props.role === 'worker') return 'join-worker';
  if (!('logicalIds' in allocation) || spec.logicalId === undefined) {
    throw new TendError('invalid_spec', 'kubeadm flavor: prepare: control-plane nodes need a logical ID');
  }
  const first = [...allocation.logicalIds].sort()[0];
  return spec.logicalId === first ? 'init' : 'join-control-plane';
}

/** Writes the configuration readable by root only, then runs kubeadm on it. */
function initScript(props: KubeadmProperties, action: KubeadmAction, yaml: string): string {
  const dir = shellQuote(props.configDir);
  const file = shellQuote(`${props.configDir}/kubeadm.yaml`);
  const command = action === 'init' ? `init --config ${file} --upload-certs` : `join --config ${file}`;
  return [
    'set -eu',
    'umask 077',
    `mkdir -p ${dir}`,
    `cat > ${file} <<'TEND_KUBEADM'`,
    yaml.trimEnd(),
    'TEND_KUBEADM',
    `exec ${shellQuote(props.kubeadm)} ${command}`,
    '',
  ].join('\n');
}

function nodeReady(json: string): Health {
  const node = JSON.parse(json) as { status?: { conditions?: Array<{ type?: string; status?: string }> } };
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready === undefined) return 'unknown';
  return ready.status === 'True' ? 'healthy' : 'unhealthy';
}

function kubectl(
  props: KubeadmProperties,
  args: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string> {
  const kubeconfig = props.kubeconfig ?? '';
  return new Promise((resolve, reject) => {
    execFile(
      props.kubectl,
      ['--kubeconfig', kubeconfig, `--request-timeout=${Math.ceil(timeoutMs / 1000)}s`, ...args],
      { timeout: timeoutMs, killSignal: 'SIGKILL', ...(signal === undefined ? {} : { signal }) },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new TendError(
              'unavailable',
              `kubeadm flavor: kubectl ${args.join(' ')}: ${stderr || error.message}`,
            ),
          );
        else resolve(stdout);
      },
    );
  });
}
