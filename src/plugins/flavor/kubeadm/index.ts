// The `kubeadm` flavor: kubeadm v1beta4 init/join configuration per node, with a per-group
// bootstrap token and CA pinning; tokens stay out of tags, logs and errors.
export {
  createKubeadmFlavor,
  type KubeadmFlavorOptions,
  TAG_KUBEADM_NODE,
  TAG_KUBEADM_ROLE,
} from './kubeadm-flavor.js';
export { type KubeadmProperties, parseKubeadmProperties } from './properties.js';
export { generateBootstrapToken, redactSecrets } from './secrets.js';
export { kubeadmDocumentSchema } from './v1beta4-schema.js';
