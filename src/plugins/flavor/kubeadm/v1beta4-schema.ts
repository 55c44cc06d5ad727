import { z } from 'zod';

// The subset of kubeadm's v1beta4 configuration API (k8s.io/kubernetes/cmd/kubeadm/app/apis/
// kubeadm/v1beta4, documented at kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta4/)
// that this flavor writes, with the documented field names and types. Strict: a misspelt field
// fails here instead of being silently ignored by kubeadm. Tests and `prepare` check against it.

const apiVersion = z.literal('kubeadm.k8s.io/v1beta4');
const duration = z.string().regex(/^([0-9]+h)?([0-9]+m)?([0-9]+s)?$/);

const bootstrapToken = z.strictObject({
  token: z.string().regex(/^[a-z0-9]{6}\.[a-z0-9]{16}$/),
  description: z.string().optional(),
  ttl: duration.optional(),
  expires: z.string().optional(),
  usages: z.array(z.enum(['signing', 'authentication'])).optional(),
  groups: z.array(z.string().regex(/^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/)).optional(),
});

const arg = z.strictObject({ name: z.string(), value: z.string() });

const nodeRegistration = z.strictObject({
  name: z.string().optional(),
  criSocket: z.string().optional(),
  taints: z
    .array(z.strictObject({ key: z.string(), value: z.string().optional(), effect: z.string() }))
    .optional(),
  /** v1beta4 turned extra args from a map into a list of name/value pairs. */
  kubeletExtraArgs: z.array(arg).optional(),
  ignorePreflightErrors: z.array(z.string()).optional(),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  imagePullSerial: z.boolean().optional(),
});

const apiEndpoint = z.strictObject({
  advertiseAddress: z.string().optional(),
  bindPort: z.number().int().optional(),
});

const certificateKey = z.string().regex(/^[a-f0-9]{64}$/);

export const initConfigurationSchema = z.strictObject({
  apiVersion,
  kind: z.literal('InitConfiguration'),
  bootstrapTokens: z.array(bootstrapToken).optional(),
  dryRun: z.boolean().optional(),
  nodeRegistration: nodeRegistration.optional(),
  localAPIEndpoint: apiEndpoint.optional(),
  certificateKey: certificateKey.optional(),
  skipPhases: z.array(z.string()).optional(),
});

export const clusterConfigurationSchema = z.strictObject({
  apiVersion,
  kind: z.literal('ClusterConfiguration'),
  clusterName: z.string().optional(),
  kubernetesVersion: z.string().optional(),
  controlPlaneEndpoint: z.string().optional(),
  networking: z
    .strictObject({
      serviceSubnet: z.string().optional(),
      podSubnet: z.string().optional(),
      dnsDomain: z.string().optional(),
    })
    .optional(),
  certificatesDir: z.string().optional(),
  imageRepository: z.string().optional(),
  featureGates: z.record(z.string(), z.boolean()).optional(),
});

export const joinConfigurationSchema = z.strictObject({
  apiVersion,
  kind: z.literal('JoinConfiguration'),
  dryRun: z.boolean().optional(),
  nodeRegistration: nodeRegistration.optional(),
  caCertPath: z.string().optional(),
  discovery: z.strictObject({
    bootstrapToken: z
      .strictObject({
        token: z.string().regex(/^[a-z0-9]{6}\.[a-z0-9]{16}$/),
        apiServerEndpoint: z.string().optional(),
        caCertHashes: z.array(z.string().regex(/^sha256:[a-f0-9]{64}$/)).optional(),
        unsafeSkipCAVerification: z.boolean().optional(),
      })
      .optional(),
    file: z.strictObject({ kubeConfigPath: z.string() }).optional(),
    tlsBootstrapToken: z.string().optional(),
  }),
  controlPlane: z
    .strictObject({ localAPIEndpoint: apiEndpoint.optional(), certificateKey: certificateKey.optional() })
    .optional(),
  skipPhases: z.array(z.string()).optional(),
});

export const kubeadmDocumentSchema = z.discriminatedUnion('kind', [
  initConfigurationSchema,
  clusterConfigurationSchema,
  joinConfigurationSchema,
]);
